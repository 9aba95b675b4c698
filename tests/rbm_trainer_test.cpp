// RbmTrainer: one update by hand, reproducibility, the exact likelihood going up, bad
// options rejected.
#include <gtest/gtest.h>

#include <filesystem>

#include <atomic>

#include <cmath>

#include "support.hpp"

namespace ebmkit {
namespace {

// 400 rows of two 6-bit prototypes (000111 and 111000) with 10% bit noise.
Tensor two_prototypes(std::mt19937_64& rng) {
    std::vector<float> rows;
    std::bernoulli_distribution noise(0.1);
    for (int r = 0; r < 400; ++r) {
        for (int i = 0; i < 6; ++i) rows.push_back(static_cast<float>(((r % 2) ? i < 3 : i >= 3) != noise(rng)));
    }
    return Tensor::from(rows, {400, 6});
}

// The exact mean log-likelihood of the rows of data.
double mean_exact_log_likelihood(const Rbm& rbm, const Tensor& data) {
    Context ctx(Backend::Cpu);
    Tensor f({data.dim(0)});
    free_energy(ctx, rbm, data, f);
    double s = 0;
    for (float v : f.to_vector<float>()) s -= v;
    return s / static_cast<double>(data.dim(0)) - log_partition_exact(ctx, rbm);
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
    cd_gradient(ctx, rbm, data, chains, grad, Steps{0, 2});
    auto expect_moved = [&](ConstTensorView before, ConstTensorView after, ConstTensorView g) {
        const auto b = before.to_vector<float>(), a = after.to_vector<float>(), d = g.to_vector<float>();
        for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i] + 0.1f * d[i], 1e-6);
    };
    expect_moved(rbm.w(), trained.w(), grad.w());
    expect_moved(rbm.b(), trained.b(), grad.b());
    expect_moved(rbm.c(), trained.c(), grad.c());
}

// Exact average log-likelihood of a 6x4 RBM on a structured data set rises with
// PCD training, and the same seed gives the same parameters.
// Centred CD-2 on identical rows, one update: the centred gradient (Melchior et al.) from
// its definition in double, with mu = the row (its own running mean) and lambda one
// rate-0.01 step from 1/2 towards the data's p(h | v), taken in the plain parameters.
TEST(RbmTrainer, OneCentredUpdateIsTheCentredGradientInPlainParameters) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    const std::int64_t d = 8, m = 5, n = 16;
    const Rbm rbm = test::random_rbm(rng, d, m, 0.5f);
    const Tensor row = test::random_bits(rng, 1, d);
    std::vector<float> rows;
    for (int r = 0; r < n; ++r) rows.insert(rows.end(), row.data<float>(), row.data<float>() + d);
    const Tensor data = Tensor::from(rows, {n, d});
    RbmTrainOptions o;
    o.batch = n;
    o.persistent = false;
    o.k = 2;
    o.lr = 0.1f;
    o.centered = true;
    Context ctx(Backend::Cpu, seed);
    Rbm trained = rbm.to(Device::Host);
    RbmTrainer trainer(ctx, trained, o);
    trainer.train_epoch(data);

    Tensor chains = data.clone(), h({n, m}), ph_data({n, m}), ph_model({n, m});
    gibbs_chain(ctx, rbm, chains, h, Steps{0, 2});
    rbm_hidden_probs(ctx, rbm, data, ph_data);
    rbm_hidden_probs(ctx, rbm, chains, ph_model);
    const float* vd = data.data<float>();
    const float* vm = chains.data<float>();
    const float* hd = ph_data.data<float>();
    const float* hm = ph_model.data<float>();
    std::vector<double> mu(d), lambda(m);
    for (std::int64_t i = 0; i < d; ++i) mu[i] = row.data<float>()[i];
    for (std::int64_t j = 0; j < m; ++j) {
        double mean = 0;
        for (std::int64_t r = 0; r < n; ++r) mean += hd[r * m + j] / n;
        lambda[j] = 0.99 * 0.5 + 0.01 * mean;
    }
    std::vector<double> gw(d * m, 0.0), gb(d, 0.0), gc(m, 0.0);
    for (std::int64_t r = 0; r < n; ++r) {
        for (std::int64_t i = 0; i < d; ++i) {
            gb[i] += (vd[r * d + i] - vm[r * d + i]) / n;
            for (std::int64_t j = 0; j < m; ++j) {
                gw[i * m + j] += ((vd[r * d + i] - mu[i]) * (hd[r * m + j] - lambda[j]) -
                                  (vm[r * d + i] - mu[i]) * (hm[r * m + j] - lambda[j])) / n;
            }
        }
        for (std::int64_t j = 0; j < m; ++j) gc[j] += (hd[r * m + j] - hm[r * m + j]) / n;
    }
    for (std::int64_t i = 0; i < d; ++i) {
        double b = gb[i];
        for (std::int64_t j = 0; j < m; ++j) b -= gw[i * m + j] * lambda[j];
        EXPECT_NEAR(trained.b().data<float>()[i], rbm.b().data<float>()[i] + 0.1 * b, 1e-5) << "b " << i;
        for (std::int64_t j = 0; j < m; ++j) {
            EXPECT_NEAR(trained.w().data<float>()[i * m + j], rbm.w().data<float>()[i * m + j] + 0.1 * gw[i * m + j], 1e-5);
        }
    }
    for (std::int64_t j = 0; j < m; ++j) {
        double c = gc[j];
        for (std::int64_t i = 0; i < d; ++i) c -= gw[i * m + j] * mu[i];
        EXPECT_NEAR(trained.c().data<float>()[j], rbm.c().data<float>()[j] + 0.1 * c, 1e-5) << "c " << j;
    }
}

TEST(RbmTrainer, TrainingRaisesExactLikelihoodReproducibly) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    const Tensor data = two_prototypes(rng);
    auto mean_ll = [&](const Rbm& rbm) { return mean_exact_log_likelihood(rbm, data); };
    RbmTrainOptions o;
    o.batch = 20;
    o.chains = 200;  // many persistent chains keep the model statistics steady
    o.lr = 0.05f;
    o.momentum = 0.5f;
    auto train = [&](bool centered) {
        Context ctx(Backend::Cpu, seed);
        Rbm rbm(6, 4);
        rbm.init_normal(seed, 0.1f);
        RbmTrainOptions with = o;
        with.centered = centered;
        RbmTrainer trainer(ctx, rbm, with);
        for (int e = 0; e < 30; ++e) trainer.train_epoch(data);
        return rbm;
    };
    Rbm initial(6, 4);
    initial.init_normal(seed, 0.1f);
    const Rbm a = train(false), b = train(false), centred = train(true);
    EXPECT_EQ(a.w().to_vector<float>(), b.w().to_vector<float>());
    const double before = mean_ll(initial), after = mean_ll(a);
    // Noise-free entropy bound: each row costs at least log 2 (which prototype)
    // plus 6 * H(0.1) = 1.95 nats; an untrained model pays ~ 6 log 2 = 4.16.
    EXPECT_GT(after, before + 0.8) << "before " << before << " after " << after;
    EXPECT_GT(mean_ll(centred), before + 0.8) << "centred: before " << before << " after " << mean_ll(centred);
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
    o.tempering_replicas = 1;
    EXPECT_THROW(RbmTrainer(ctx, rbm, o), Error);
    o.tempering_replicas = 3;
    o.persistent = false;  // PT chains are persistent
    EXPECT_THROW(RbmTrainer(ctx, rbm, o), Error);
    o.persistent = true;
    o.tempering_beta_min = 0.0f;
    EXPECT_THROW(RbmTrainer(ctx, rbm, o), Error);
    o = {};
    RbmTrainer trainer(ctx, rbm, o);
    EXPECT_THROW(trainer.train_epoch(Tensor::zeros({5, 3})), Error);
}

// PT-1 on the two-prototype data: the exact likelihood rises as with PCD, the swaps are
// accepted at rates in (0, 1), and every update's negative phase is the beta = 1 replicas.
TEST(RbmTrainer, ParallelTemperingTrainsAndReportsSwapRates) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    const Tensor data = two_prototypes(rng);
    auto mean_ll = [&](const Rbm& rbm) { return mean_exact_log_likelihood(rbm, data); };
    RbmTrainOptions o;
    o.batch = 20;
    o.chains = 100;
    o.lr = 0.05f;
    o.momentum = 0.5f;
    o.tempering_replicas = 4;
    o.tempering_beta_min = 0.2f;
    Context ctx(Backend::Cpu, seed);
    Rbm rbm(6, 4);
    rbm.init_normal(seed, 0.1f);
    const double before = mean_ll(rbm);
    RbmTrainer trainer(ctx, rbm, o);
    RbmEpochStats s{};
    for (int e = 0; e < 30; ++e) s = trainer.train_epoch(data);
    EXPECT_GT(mean_ll(rbm), before + 0.8) << "before " << before << " after " << mean_ll(rbm);
    ASSERT_EQ(s.swap_rates.size(), 3u);
    for (double r : s.swap_rates) EXPECT_TRUE(r > 0.0 && r < 1.0) << r;
}

// A learning rate that overflows the weights: the epoch throws, and the RBM is as
// before it.
TEST(RbmTrainer, ADivergingEpochIsUndoneAndReported) {
    auto rng = test::fresh_rng();
    const Rbm start = test::random_rbm(rng, 100, 50, 0.1f);
    const Tensor data = test::random_bits(rng, 40, 100);
    Context ctx(Backend::Cpu, 5);
    RbmTrainOptions wild;
    wild.batch = 10;
    wild.lr = 3e38f;
    wild.momentum = 0.5f;
    Rbm rbm = start.to(Device::Host);
    RbmTrainer trainer(ctx, rbm, wild);
    try {
        trainer.train_epoch(data);
        ADD_FAILURE() << "lr 3e38 did not diverge";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("epoch 1 diverged"), std::string::npos) << e.what();
    }
    EXPECT_EQ(trainer.epoch(), 0);
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_TRUE(test::same_bytes(rbm.parameters()[i].to_vector<float>(), start.parameters()[i].to_vector<float>()))
            << "parameter " << i;
    }
}

// An epoch stopped after its second batch, saved, loaded into a fresh trainer and
// continued, for PCD, CD and PT: the same RBM (and PT's replicas and swap counters) as
// the epochs run whole.
TEST(RbmTrainer, AnInterruptedEpochResumesFromItsCheckpointBitForBit) {
    auto rng = test::fresh_rng();
    const Rbm start = test::random_rbm(rng, 12, 6, 0.1f);
    const Tensor data = test::random_bits(rng, 50, 12);
    const std::string path = (std::filesystem::temp_directory_path() / ("rbm-stop-" + std::to_string(rng()))).string();
    for (const char* recipe : {"PCD", "CD", "PT", "centred PCD"}) {
        RbmTrainOptions o;
        o.batch = 10;
        o.persistent = recipe != std::string("CD");
        o.tempering_replicas = recipe == std::string("PT") ? 3 : 0;
        o.centered = recipe == std::string("centred PCD");
        o.momentum = 0.5f;
        Context whole_ctx(Backend::Cpu, 8);
        Rbm whole = start.to(Device::Host);
        RbmTrainer tw(whole_ctx, whole, o);
        tw.train_epoch(data);
        tw.train_epoch(data);

        Context part_ctx(Backend::Cpu, 8);
        Rbm part = start.to(Device::Host);
        RbmTrainer tp(part_ctx, part, o);
        std::atomic<bool> stop{false};
        const RbmEpochStats s = tp.train_epoch(data, [&](std::int64_t done, std::int64_t) { stop = done == 2; }, &stop);
        EXPECT_TRUE(s.interrupted);
        EXPECT_EQ(s.updates, 2);
        EXPECT_EQ(tp.batch_in_epoch(), 2);
        tp.save(path, {{"note", "test"}});

        Context resumed_ctx(Backend::Cpu, 8);
        Rbm resumed(12, 6);
        RbmTrainer tr(resumed_ctx, resumed, o);
        tr.load(path);
        EXPECT_EQ(tr.batch_in_epoch(), 2);
        EXPECT_EQ(tr.train_epoch(data).updates, 3);
        tr.train_epoch(data);
        EXPECT_EQ(tr.epoch(), 2);
        for (std::size_t i = 0; i < 3; ++i) {
            EXPECT_TRUE(test::same_bytes(resumed.parameters()[i].to_vector<float>(), whole.parameters()[i].to_vector<float>()))
                << "parameter " << i << " " << recipe;
        }
        Rbm wrong(12, 7);
        RbmTrainer tx(resumed_ctx, wrong, o);
        EXPECT_THROW(tx.load(path), Error);
        if (o.centered) {
            RbmTrainOptions plain = o;
            plain.centered = false;
            Rbm other(12, 6);
            RbmTrainer ty(resumed_ctx, other, plain);
            EXPECT_THROW(ty.load(path), Error);  // centring offsets need a centred trainer
        }
        if (o.tempering_replicas) {
            EXPECT_EQ(tr.train_epoch(data).swap_rates, tw.train_epoch(data).swap_rates);
            // A checkpoint of PT chains does not load into a trainer of another recipe.
            RbmTrainOptions pcd = o;
            pcd.tempering_replicas = 0;
            Rbm other(12, 6);
            RbmTrainer ty(resumed_ctx, other, pcd);
            try {
                ty.load(path);
                ADD_FAILURE() << "PT chains loaded into a PCD trainer";
            } catch (const Error& e) {
                EXPECT_NE(std::string(e.what()).find("3 parallel-tempering replicas"), std::string::npos) << e.what();
            }
        }
    }
    std::filesystem::remove(path);
}

}  // namespace
}  // namespace ebmkit
