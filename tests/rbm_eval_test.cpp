// AIS against exact log Z, pseudo-likelihood against brute force, the base-rate
// model, and training: one update by hand, reproducibility, likelihood going up.
#include <gtest/gtest.h>

#include <cmath>

#include "support.hpp"

namespace ebmkit {
namespace {

// 30 visible, 20 hidden: exact log Z enumerates 2^20 hidden states.
TEST(RbmStatistics, AisMatchesExactLogPartition) {
    auto rng = test::fresh_rng();
    Context ctx(Backend::Cpu, rng());
    Rbm rbm = test::random_rbm(rng, 30, 20, 0.3f);
    const Tensor data = test::random_bits(rng, 200, 30, 0.3f);
    const double exact = log_partition_exact(ctx, rbm);
    AisOptions options;
    options.runs = 64;
    options.betas = linear_ais_schedule(2000);
    const AisResult r = log_partition_ais(ctx, rbm, base_rate_bias(data), options);
    EXPECT_NEAR(r.log_z, exact, 0.1);
    EXPECT_LE(r.log_z_low, r.log_z);
    EXPECT_GE(r.log_z_high, r.log_z);
    EXPECT_EQ(r.log_weights.size(), 64u);
}

// With W = 0 the RBM is itself a product of independent units: AIS from a base
// rate equal to b is exact, every weight equal, log Z in closed form.
TEST(Rbm, AisIsExactWhenTheModelIsTheBase) {
    auto rng = test::fresh_rng();
    Context ctx(Backend::Cpu, rng());
    Rbm rbm(7, 3);
    Tensor b = test::uniform_tensor(rng, {7}, -2, 2), c = test::uniform_tensor(rng, {3}, -2, 2);
    rbm.b().copy_from(b);
    rbm.c().copy_from(c);
    AisOptions options;
    options.runs = 4;
    options.betas = linear_ais_schedule(10);
    const AisResult r = log_partition_ais(ctx, rbm, b, options);
    double closed = 0;
    for (float v : b.to_vector<float>()) closed += std::log1p(std::exp(double(v)));
    for (float v : c.to_vector<float>()) closed += std::log1p(std::exp(double(v)));
    EXPECT_NEAR(r.log_z, closed, 1e-9 + 1e-6 * std::abs(closed));
}

TEST(Rbm, AisRejectsBadSchedules) {
    Context ctx(Backend::Cpu);
    Rbm rbm(3, 2);
    Tensor base = Tensor::zeros({3});
    AisOptions o;
    o.betas = {0.0, 0.5};
    EXPECT_THROW(log_partition_ais(ctx, rbm, base, o), Error);
    o.betas = {0.0, 0.7, 0.5, 1.0};
    EXPECT_THROW(log_partition_ais(ctx, rbm, base, o), Error);
    o.betas = {};
    o.runs = 0;
    EXPECT_THROW(log_partition_ais(ctx, rbm, base, o), Error);
    EXPECT_THROW(log_partition_ais(ctx, rbm, Tensor::zeros({4}), AisOptions{}), Error);
    EXPECT_THROW(linear_ais_schedule(0), Error);
    const auto s = standard_ais_schedule();
    EXPECT_EQ(s.size(), 14501u);
    EXPECT_EQ(s.front(), 0.0);
    EXPECT_EQ(s.back(), 1.0);
    for (std::size_t i = 1; i < s.size(); ++i) ASSERT_GT(s[i], s[i - 1]);
}

TEST(Rbm, PseudoLikelihoodMatchesFlippedFreeEnergies) {
    auto rng = test::fresh_rng();
    Context ctx(Backend::Cpu);
    const std::int64_t d = 9, n = 5;
    Rbm rbm = test::random_rbm(rng, d, 6, 1.0f);
    const Tensor v = test::random_bits(rng, n, d);
    Tensor pl = test::poisoned({n});
    pseudo_log_likelihood(ctx, rbm, v, pl);
    // Brute force: all n * d single-bit flips through free_energy.
    Tensor flips({n * (d + 1), d});
    for (std::int64_t r = 0; r < n; ++r) {
        for (std::int64_t k = 0; k <= d; ++k) {
            for (std::int64_t i = 0; i < d; ++i) {
                const float bit = v.data<float>()[r * d + i];
                flips.data<float>()[(r * (d + 1) + k) * d + i] = (i == k - 1) ? 1.0f - bit : bit;
            }
        }
    }
    Tensor f({n * (d + 1)});
    free_energy(ctx, rbm, flips, f);
    std::vector<double> ref;
    for (std::int64_t r = 0; r < n; ++r) {
        const double f0 = f.data<float>()[r * (d + 1)];
        double s = 0;
        for (std::int64_t k = 1; k <= d; ++k) {
            const double fk = f.data<float>()[r * (d + 1) + k];
            s += -std::log1p(std::exp(f0 - fk));  // log sigm(F(v') - F(v))
        }
        ref.push_back(s);
    }
    EXPECT_LT(test::relative_error(pl.to_vector<float>(), ref), 1e-5);
}

TEST(Rbm, BaseRateBiasIsTheSmoothedLogOdds) {
    Tensor data = Tensor::from({1, 0, 1, 1, 0, 0, 1, 0}, {4, 2});
    const auto b = base_rate_bias(data, 1.0f).to_vector<float>();
    EXPECT_NEAR(b[0], std::log((3.0 + 1) / (1.0 + 1)), 1e-6);  // 3 of 4 on
    EXPECT_NEAR(b[1], std::log((1.0 + 1) / (3.0 + 1)), 1e-6);  // 1 of 4 on
}

// Identical rows make the shuffled batch equal to the data, so the update can be
// recomputed from outside: W1 = W0 + lr * cd_gradient(data, chains = data, k, step 0).
TEST(RbmTrainer, OneUpdateIsLearningRateTimesCdGradient) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    Rbm rbm = test::random_rbm(rng, 8, 5, 0.5f);
    const Tensor row = test::random_bits(rng, 1, 8);
    std::vector<float> rows;
    for (int r = 0; r < 16; ++r) rows.insert(rows.end(), row.data<float>(), row.data<float>() + 8);
    const Tensor data = Tensor::from(rows, {16, 8});
    RbmTrainOptions o;
    o.batch = 16;
    o.persistent = false;
    o.k = 2;
    o.momentum = 0.0f;
    o.weight_decay = 0.0f;
    o.lr = 0.1f;
    Context ctx(Backend::Cpu, seed);
    Rbm trained = rbm.to(Device::Host);
    RbmTrainer trainer(ctx, trained, o);
    const RbmEpochStats s = trainer.train_epoch(data);
    EXPECT_EQ(s.epoch, 1);
    EXPECT_EQ(s.updates, 1);

    Rbm grad = rbm.zeros_like();
    Tensor chains = data.clone();
    cd_gradient(ctx, rbm, data, chains, 2, 0, grad);
    auto expect_moved = [&](const Tensor& before, const Tensor& after, const Tensor& g) {
        const auto b = before.to_vector<float>(), a = after.to_vector<float>(), d = g.to_vector<float>();
        for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i] + 0.1f * d[i], 1e-6);
    };
    expect_moved(rbm.w(), trained.w(), grad.w());
    expect_moved(rbm.b(), trained.b(), grad.b());
    expect_moved(rbm.c(), trained.c(), grad.c());
}

// Exact average log-likelihood of a 6x4 RBM on a structured data set rises with
// PCD training, and the same seed gives the same parameters.
TEST(RbmTrainer, TrainingRaisesExactLikelihoodReproducibly) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    // Two prototypes with 10% bit noise.
    std::vector<float> rows;
    std::bernoulli_distribution noise(0.1);
    for (int r = 0; r < 400; ++r) {
        for (int i = 0; i < 6; ++i) {
            const bool proto = (r % 2) ? i < 3 : i >= 3;
            rows.push_back(static_cast<float>(proto != noise(rng)));
        }
    }
    const Tensor data = Tensor::from(rows, {400, 6});
    auto mean_ll = [&](const Rbm& rbm) {
        Context ctx(Backend::Cpu);
        Tensor f({400});
        free_energy(ctx, rbm, data, f);
        double s = 0;
        for (float v : f.to_vector<float>()) s -= v;
        return s / 400 - log_partition_exact(ctx, rbm);
    };
    RbmTrainOptions o;
    o.batch = 20;
    o.chains = 200;  // many persistent chains keep the model statistics steady
    o.lr = 0.05f;
    o.momentum = 0.5f;
    auto train = [&] {
        Context ctx(Backend::Cpu, seed);
        Rbm rbm(6, 4);
        rbm.init_normal(seed, 0.1f);
        RbmTrainer trainer(ctx, rbm, o);
        for (int e = 0; e < 30; ++e) trainer.train_epoch(data);
        return rbm;
    };
    Rbm initial(6, 4);
    initial.init_normal(seed, 0.1f);
    const Rbm a = train(), b = train();
    EXPECT_EQ(a.w().to_vector<float>(), b.w().to_vector<float>());
    const double before = mean_ll(initial), after = mean_ll(a);
    // Noise-free entropy bound: each row costs at least log 2 (which prototype)
    // plus 6 * H(0.1) = 1.95 nats; an untrained model pays ~ 6 log 2 = 4.16.
    EXPECT_GT(after, before + 0.8) << "before " << before << " after " << after;
}

TEST(RbmTrainer, RejectsBadOptions) {
    Context ctx(Backend::Cpu);
    Rbm rbm(4, 3);
    RbmTrainOptions o;
    o.k = 0;
    EXPECT_THROW(RbmTrainer(ctx, rbm, o), Error);
    o = {};
    o.lr = NAN;
    EXPECT_THROW(RbmTrainer(ctx, rbm, o), Error);
    o = {};
    o.momentum = 1.0f;
    EXPECT_THROW(RbmTrainer(ctx, rbm, o), Error);
    o = {};
    RbmTrainer trainer(ctx, rbm, o);
    EXPECT_THROW(trainer.train_epoch(Tensor::zeros({5, 3})), Error);
}

}  // namespace
}  // namespace ebmkit
