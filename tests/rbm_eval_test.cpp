// AIS against exact log Z, pseudo-likelihood against brute force, the base-rate
// model. (RbmTrainer: tests/rbm_trainer_test.cpp.)
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
    const Tensor base = base_rate_bias(data);
    const AisResult r = log_partition_ais(ctx, rbm, base, options);
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
    const Tensor short_base = Tensor::zeros({4});
    EXPECT_THROW(log_partition_ais(ctx, rbm, short_base, AisOptions{}), Error);
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

}  // namespace
}  // namespace ebmkit
