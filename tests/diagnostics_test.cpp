// The chain diagnostics (include/ebmkit/diagnostics.hpp) on processes whose answers are
// known in closed form: AR(1) chains x_t = phi x_{t-1} + sqrt(1 - phi^2) e_t have
// tau = (1 + phi) / (1 - phi), so ESS = M N (1 - phi) / (1 + phi) (three times the draws
// for phi = -0.5: antithetic chains); chains of different means have R-hat
// sqrt(1 + B / (N W)) from their means' spread. Tolerances: the estimate's ratio to the
// truth over seeds (4 chains) is skewed, a long tail on the side of small ESS (a chance
// run of positive autocorrelations extends Geyer's initial sequence), so the bands are the
// extremes measured over 20000 seeds (5000 for phi = 0.9) widened by 30%, which a correct
// estimator leaves less than once in 20000 runs: phi = 0 at 20000 draws [0.9245, 1.0256]
// (sd 0.011; a five-sd band failed once, at 0.938), 0.6 [0.8827, 1.0711] (sd 0.024),
// -0.5 [0.9061, 1.1228] (sd 0.027), 0.9 at 100000 draws [0.9004, 1.0610] (sd 0.023).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "ebmkit/diagnostics.hpp"
#include "ebmkit/error.hpp"
#include "support.hpp"

namespace ebmkit {
namespace {

// draws x chains AR(1) values, stationary from the start, each chain shifted by shift * c.
std::vector<float> ar1(std::mt19937_64& rng, std::int64_t draws, std::int64_t chains, double phi, double shift = 0) {
    std::normal_distribution<double> normal;
    std::vector<float> out(static_cast<std::size_t>(draws * chains));
    for (std::int64_t c = 0; c < chains; ++c) {
        double x = normal(rng);
        for (std::int64_t t = 0; t < draws; ++t) {
            out[t * chains + c] = static_cast<float>(x + shift * c);
            x = phi * x + std::sqrt(1 - phi * phi) * normal(rng);
        }
    }
    return out;
}

TEST(ChainDiagnostics, EffectiveSampleSizeOfAr1ChainsIsTheClosedForm) {
    auto rng = test::fresh_rng();
    const std::int64_t chains = 4;
    struct Case {
        double phi;
        std::int64_t draws;
        double below, above;  // the band of the estimate's ratio to the truth: [1 - below, 1 + above]
    };
    for (const Case c : {Case{0.0, 20000, 0.100, 0.035}, Case{0.6, 20000, 0.155, 0.095},
                         Case{-0.5, 20000, 0.125, 0.16}, Case{0.9, 100000, 0.13, 0.08}}) {
        const double phi = c.phi;
        const std::int64_t draws = c.draws;
        const std::vector<float> v = ar1(rng, draws, chains, phi);
        const double want = draws * chains * (1 - phi) / (1 + phi);
        const double ratio = effective_sample_size(v.data(), draws, chains, chains, 1) / want;
        EXPECT_GE(ratio, 1 - c.below) << "phi " << phi;
        EXPECT_LE(ratio, 1 + c.above) << "phi " << phi;
        EXPECT_LT(split_r_hat(v.data(), draws, chains, chains, 1), 1.01) << "phi " << phi;
    }
}

TEST(ChainDiagnostics, SplitRHatSeesChainsThatDisagree) {
    auto rng = test::fresh_rng();
    const std::int64_t draws = 20000, chains = 4;
    // Means 0, 0.5, 1, 1.5 of unit-variance chains: each half's mean is its chain's, so
    // B / N is the sample variance of the eight half-means, 2 (0.75^2 + 0.25^2) 2 / 7.
    const std::vector<float> apart = ar1(rng, draws, chains, 0.0, 0.5);
    const double want = std::sqrt(1 + 2 * (0.5625 + 0.0625) * 2 / 7);
    EXPECT_NEAR(split_r_hat(apart.data(), draws, chains, chains, 1), want, 0.02);
    // One chain whose second half sits 1 above its first: the split finds it.
    std::vector<float> drift = ar1(rng, draws, 1, 0.0);
    for (std::int64_t t = draws / 2; t < draws; ++t) drift[t] += 1.0f;
    EXPECT_GT(split_r_hat(drift.data(), draws, 1, 1, 1), 1.1);
    // A constant trace: every draw counts, the chains agree.
    const std::vector<float> flat(static_cast<std::size_t>(draws * chains), 3.0f);
    EXPECT_EQ(effective_sample_size(flat.data(), draws, chains, chains, 1), double(draws * chains));
    EXPECT_EQ(split_r_hat(flat.data(), draws, chains, chains, 1), 1.0);
}

// A [draws, chains, dim] trace: each dimension's figures are its scalar ones.
TEST(ChainDiagnostics, EveryDimensionOfATrace) {
    auto rng = test::fresh_rng();
    const std::int64_t draws = 500, chains = 3, dim = 2;
    const std::vector<float> a = ar1(rng, draws, chains, 0.8), b = ar1(rng, draws, chains, 0.0, 1.0);
    std::vector<float> trace(static_cast<std::size_t>(draws * chains * dim));
    for (std::int64_t i = 0; i < draws * chains; ++i) {
        trace[i * dim] = a[i];
        trace[i * dim + 1] = b[i];
    }
    const ChainDiagnostics d = chain_diagnostics(trace, draws, chains, dim);
    ASSERT_EQ(d.effective_sample_size.size(), 2u);
    EXPECT_EQ(d.effective_sample_size[0], effective_sample_size(a.data(), draws, chains, chains, 1));
    EXPECT_EQ(d.effective_sample_size[1], effective_sample_size(b.data(), draws, chains, chains, 1));
    EXPECT_EQ(d.split_r_hat[0], split_r_hat(a.data(), draws, chains, chains, 1));
    EXPECT_EQ(d.split_r_hat[1], split_r_hat(b.data(), draws, chains, chains, 1));
    EXPECT_GT(d.split_r_hat[1], 1.2);
    EXPECT_THROW(chain_diagnostics(trace, draws, chains, 3), Error);
    EXPECT_THROW(effective_sample_size(a.data(), 3, chains, chains, 1), Error);
    EXPECT_THROW(split_r_hat(a.data(), draws, 0, chains, 1), Error);
}

}  // namespace
}  // namespace ebmkit
