// Parallel tempering on the CPU: every replica's visible marginal against the exact
// tempered distribution of a tiny RBM, the swap acceptance rate against its exact
// expectation on a two-temperature toy, the keys, the resume, and the refusals.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "support.hpp"

namespace ebmkit {
namespace {

// p_beta(v) for every visible mask, summing exp(-beta E(v, h)) over every joint state.
std::vector<double> tempered_marginal(const Rbm& rbm, double beta) {
    const std::int64_t d = rbm.visible(), m = rbm.hidden();
    const float* w = rbm.w().data<float>();
    const float* b = rbm.b().data<float>();
    const float* c = rbm.c().data<float>();
    std::vector<double> p(std::size_t{1} << d, 0.0);
    double z = 0;
    for (unsigned v = 0; v < p.size(); ++v) {
        for (unsigned h = 0; h < (1u << m); ++h) {
            double neg_e = 0;
            for (std::int64_t i = 0; i < d; ++i) {
                if (!(v >> i & 1)) continue;
                neg_e += b[i];
                for (std::int64_t j = 0; j < m; ++j) neg_e += (h >> j & 1) ? w[i * m + j] : 0.0;
            }
            for (std::int64_t j = 0; j < m; ++j) neg_e += (h >> j & 1) ? c[j] : 0.0;
            p[v] += std::exp(beta * neg_e);
        }
        z += p[v];
    }
    for (double& x : p) x /= z;
    return p;
}

unsigned mask_of(const float* v, std::int64_t d) {
    unsigned mask = 0;
    for (std::int64_t i = 0; i < d; ++i) mask |= static_cast<unsigned>(v[i] > 0.5f) << i;
    return mask;
}

// 4096 chains of 3 replicas, 30 sweeps of burn-in, 30 recorded: each replica's
// histogram of the 16 visible states against p_beta (122880 correlated draws each:
// sampling noise in TV is ~0.005; 0.02 is a clear failure).
TEST(Tempering, EveryReplicaReachesItsTemperedDistribution) {
    auto rng = test::fresh_rng();
    Context ctx(Backend::Cpu, rng());
    const Rbm rbm = test::random_rbm(rng, 4, 3, 1.5f);
    const std::vector<float> betas = geometric_betas(3, 0.3f);
    const std::int64_t chains = 4096;
    ParallelTempering pt(ctx, 4, 3, chains, betas);
    std::vector<std::vector<double>> count(3, std::vector<double>(16, 0.0));
    pt.run(rbm, 30);
    for (int s = 0; s < 30; ++s) {
        pt.run(rbm, 1);
        const float* v = pt.states().data<float>();
        for (int r = 0; r < 3; ++r) {
            for (std::int64_t c = 0; c < chains; ++c) count[r][mask_of(v + (r * chains + c) * 4, 4)] += 1;
        }
    }
    for (int r = 0; r < 3; ++r) {
        const std::vector<double> exact = tempered_marginal(rbm, betas[r]);
        double tv = 0;
        for (int k = 0; k < 16; ++k) tv += std::fabs(count[r][k] / (30.0 * chains) - exact[k]) / 2;
        EXPECT_LT(tv, 0.02) << "replica " << r << " at beta " << betas[r];
    }
    // samples() is the beta = 1 replica.
    EXPECT_EQ(pt.samples().raw(), static_cast<const void*>(pt.states().data<float>() + 2 * chains * 4));
}

// Two replicas at betas 0.4 and 1, in equilibrium: the swap of pair 0 (tried at even
// sweeps) is accepted at the rate E[min(1, alpha)] over v_a ~ p_0.4, v_b ~ p_1, with
// alpha = p_0.4(v_b) p_1(v_a) / (p_0.4(v_a) p_1(v_b)).
TEST(Tempering, SwapRateMatchesItsExactExpectation) {
    auto rng = test::fresh_rng();
    Context ctx(Backend::Cpu, rng());
    const Rbm rbm = test::random_rbm(rng, 4, 3, 1.0f);
    const std::vector<float> betas{0.4f, 1.0f};
    const std::vector<double> low = tempered_marginal(rbm, betas[0]), high = tempered_marginal(rbm, 1.0);
    double expected = 0;
    for (unsigned a = 0; a < 16; ++a) {
        for (unsigned b = 0; b < 16; ++b) {
            const double alpha = low[b] * high[a] / (low[a] * high[b]);
            expected += low[a] * high[b] * std::min(1.0, alpha);
        }
    }
    const std::int64_t chains = 8192;
    ParallelTempering pt(ctx, 4, 3, chains, betas);
    pt.run(rbm, 20);
    const std::int64_t accepted_before = pt.swaps_accepted()[0], attempted_before = pt.swaps_attempted()[0];
    EXPECT_EQ(attempted_before, 10 * chains);  // sweeps 0, 2, ..., 18
    pt.run(rbm, 40);
    const double attempts = static_cast<double>(pt.swaps_attempted()[0] - attempted_before);
    const double rate = static_cast<double>(pt.swaps_accepted()[0] - accepted_before) / attempts;
    EXPECT_EQ(attempts, 20.0 * chains);
    // 163840 attempts: the rate's sampling noise is ~0.0015.
    EXPECT_NEAR(rate, expected, 0.01) << "exact " << expected;
    EXPECT_NEAR(pt.swap_rates()[0], static_cast<double>(pt.swaps_accepted()[0]) / (30.0 * chains), 1e-12);
}

TEST(Tempering, DrawsAreKeyedAndARestoredRunContinuesBitForBit) {
    auto rng = test::fresh_rng();
    const Rbm rbm = test::random_rbm(rng, 9, 5, 1.0f);
    const std::vector<float> betas = geometric_betas(4, 0.2f);
    Context a(Backend::Cpu, 3), b(Backend::Cpu, 3), other(Backend::Cpu, 4);
    ParallelTempering whole(a, 9, 5, 17, betas), first(b, 9, 5, 17, betas), reseeded(other, 9, 5, 17, betas);
    whole.run(rbm, 10);
    first.run(rbm, 4);
    reseeded.run(rbm, 10);
    EXPECT_NE(whole.states().to_vector<float>(), reseeded.states().to_vector<float>());
    Context c(Backend::Cpu, 3);
    ParallelTempering resumed(c, 9, 5, 17, betas);
    resumed.restore(first.states(), first.hidden_states(), first.sweeps(), first.swaps_accepted(),
                    first.swaps_attempted());
    resumed.run(rbm, 6);
    EXPECT_EQ(resumed.states().to_vector<float>(), whole.states().to_vector<float>());
    EXPECT_EQ(resumed.hidden_states().to_vector<float>(), whole.hidden_states().to_vector<float>());
    EXPECT_EQ(resumed.swaps_accepted(), whole.swaps_accepted());
    EXPECT_EQ(resumed.swaps_attempted(), whole.swaps_attempted());
    EXPECT_EQ(resumed.sweeps(), 10u);
    // Every replica of a chain starts at the chain's start row.
    Tensor start = test::random_bits(rng, 17, 9);
    resumed.reset(start);
    const std::vector<float> states = resumed.states().to_vector<float>(), rows = start.to_vector<float>();
    for (int r = 0; r < 4; ++r) {
        EXPECT_TRUE(std::equal(rows.begin(), rows.end(), states.begin() + r * 17 * 9)) << "replica " << r;
    }
}

TEST(Tempering, GeometricLadderAndRefusals) {
    const std::vector<float> betas = geometric_betas(5, 0.0625f);
    ASSERT_EQ(betas.size(), 5u);
    for (int r = 0; r < 5; ++r) EXPECT_NEAR(betas[r], std::pow(0.5, 4 - r), 1e-7) << r;
    EXPECT_EQ(betas.back(), 1.0f);
    EXPECT_THROW(geometric_betas(1, 0.5f), Error);
    EXPECT_THROW(geometric_betas(3, 1.0f), Error);
    Context ctx(Backend::Cpu);
    auto refused = [&](std::vector<float> b, const char* what) {
        try {
            ParallelTempering pt(ctx, 3, 2, 4, b);
            ADD_FAILURE() << "betas accepted: " << what;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("ParallelTempering"), std::string::npos) << e.what();
        }
    };
    refused({1.0f}, "one replica");
    refused({0.5f, 0.4f, 1.0f}, "falling");
    refused({0.5f, 0.9f}, "no beta of 1");
    refused({0.0f, 1.0f}, "beta 0");
    ParallelTempering pt(ctx, 3, 2, 4, {0.5f, 1.0f});
    auto rng = test::fresh_rng();
    EXPECT_THROW(pt.run(test::random_rbm(rng, 3, 3, 1.0f), 1), Error);  // not the chains' shape
    const Tensor wrong({5, 3});
    EXPECT_THROW(pt.reset(wrong), Error);
    EXPECT_TRUE(std::isnan(pt.swap_rates()[0]));  // no attempt yet
}

}  // namespace
}  // namespace ebmkit
