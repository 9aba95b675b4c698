// RBM reference path against brute-force enumeration of every (v, h) of tiny
// models, and Gibbs / CD statistics against the exact distribution.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "support.hpp"

namespace ebmkit {
namespace {

// -E(v, h) = v^T W h + b^T v + c^T h, with v and h given as bit masks.
double neg_energy(const Rbm& rbm, unsigned v, unsigned h) {
    const std::int64_t d = rbm.visible(), m = rbm.hidden();
    double s = 0;
    for (std::int64_t i = 0; i < d; ++i) {
        if (!(v >> i & 1)) continue;
        s += rbm.b().data<float>()[i];
        for (std::int64_t j = 0; j < m; ++j) {
            if (h >> j & 1) s += rbm.w().data<float>()[i * m + j];
        }
    }
    for (std::int64_t j = 0; j < m; ++j) {
        if (h >> j & 1) s += rbm.c().data<float>()[j];
    }
    return s;
}

// Exact tables by summing exp(-E) over all joint states.
struct Exact {
    double log_z;
    std::vector<double> p_v;  // p(v) for each visible mask
};

Exact enumerate(const Rbm& rbm) {
    const unsigned nv = 1u << rbm.visible(), nh = 1u << rbm.hidden();
    std::vector<double> unnormalised(nv, 0.0);
    double z = 0;
    for (unsigned v = 0; v < nv; ++v) {
        for (unsigned h = 0; h < nh; ++h) unnormalised[v] += std::exp(neg_energy(rbm, v, h));
        z += unnormalised[v];
    }
    for (double& p : unnormalised) p /= z;
    return {std::log(z), unnormalised};
}

Tensor visible_batch(const std::vector<unsigned>& masks, std::int64_t d) {
    std::vector<float> v;
    for (unsigned mask : masks) {
        for (std::int64_t i = 0; i < d; ++i) v.push_back(static_cast<float>(mask >> i & 1));
    }
    return Tensor::from(v, {static_cast<std::int64_t>(masks.size()), d});
}

TEST(Rbm, LogPartitionExactMatchesJointEnumeration) {
    Context ctx(Backend::Cpu);
    auto rng = test::fresh_rng();
    // Both branches: enumerate h (M <= D) and enumerate v (D < M).
    for (auto [d, m] : {std::pair<int, int>{6, 4}, {3, 7}, {5, 5}, {1, 1}}) {
        Rbm rbm = test::random_rbm(rng, d, m, 1.5f);
        EXPECT_NEAR(log_partition_exact(ctx, rbm), enumerate(rbm).log_z, 1e-5) << d << "x" << m;
    }
}

TEST(Rbm, FreeEnergyGivesExactLogProbability) {
    Context ctx(Backend::Cpu);
    auto rng = test::fresh_rng();
    Rbm rbm = test::random_rbm(rng, 5, 4, 1.0f);
    const Exact exact = enumerate(rbm);
    std::vector<unsigned> all(32);
    for (unsigned v = 0; v < 32; ++v) all[v] = v;
    Tensor f = test::poisoned({32});
    const Tensor batch = visible_batch(all, 5);
    free_energy(ctx, rbm, batch, f);
    const double log_z = log_partition_exact(ctx, rbm);
    std::vector<double> got, ref;
    for (unsigned v = 0; v < 32; ++v) {
        got.push_back(-f.data<float>()[v] - log_z);
        ref.push_back(std::log(exact.p_v[v]));
    }
    EXPECT_LT(test::relative_error(got, ref), 1e-6);
}

TEST(Rbm, ConditionalProbabilitiesMatchClosedForm) {
    Context ctx(Backend::Cpu);
    auto rng = test::fresh_rng();
    Rbm rbm = test::random_rbm(rng, 7, 5, 2.0f);
    Tensor v = test::uniform_tensor(rng, {4, 7}, 0.0f, 1.0f);  // probabilities work as inputs too
    Tensor h = test::uniform_tensor(rng, {4, 5}, 0.0f, 1.0f);
    Tensor ph = test::poisoned({4, 5}), pv = test::poisoned({4, 7});
    rbm_hidden_probs(ctx, rbm, v, ph);
    rbm_visible_probs(ctx, rbm, h, pv);
    std::vector<double> ref_ph, ref_pv;
    const float* w = rbm.w().data<float>();
    for (int r = 0; r < 4; ++r) {
        for (int j = 0; j < 5; ++j) {
            double a = rbm.c().data<float>()[j];
            for (int i = 0; i < 7; ++i) a += double(v.data<float>()[r * 7 + i]) * w[i * 5 + j];
            ref_ph.push_back(1 / (1 + std::exp(-a)));
        }
        for (int i = 0; i < 7; ++i) {
            double a = rbm.b().data<float>()[i];
            for (int j = 0; j < 5; ++j) a += double(h.data<float>()[r * 5 + j]) * w[i * 5 + j];
            ref_pv.push_back(1 / (1 + std::exp(-a)));
        }
    }
    EXPECT_LT(test::relative_error(ph.to_vector<float>(), ref_ph), 1e-6);
    EXPECT_LT(test::relative_error(pv.to_vector<float>(), ref_pv), 1e-6);
}

// With W = 0 the units are independent: each sample is exactly (u <= p) for its
// keyed Philox uniform, which pins the keying of both half-sweeps.
TEST(Rbm, GibbsStepDrawsUnitsFromTheirKeyedUniforms) {
    auto rng = test::fresh_rng();
    Context ctx(Backend::Cpu, rng());
    const std::int64_t d = 9, m = 6, n = 3;
    Rbm rbm(d, m);
    rbm.b().copy_from(test::uniform_tensor(rng, {d}, -2.0f, 2.0f));
    rbm.c().copy_from(test::uniform_tensor(rng, {m}, -2.0f, 2.0f));
    Tensor v = test::filled({n, d}, 1.0f), h = test::poisoned({n, m});
    const std::uint32_t step = 5;
    gibbs_step(ctx, rbm, v, h, step);
    auto sigm = [](double a) { return 1 / (1 + std::exp(-a)); };
    for (std::uint32_t r = 0; r < n; ++r) {
        for (std::uint32_t j = 0; j < m; ++j) {
            const float u = philox_uniform(ctx.seed(), RngPurpose::GibbsHidden, r, step, j);
            EXPECT_EQ(h.data<float>()[r * m + j], u <= sigm(rbm.c().data<float>()[j]) ? 1.0f : 0.0f);
        }
        for (std::uint32_t i = 0; i < d; ++i) {
            const float u = philox_uniform(ctx.seed(), RngPurpose::GibbsVisible, r, step, i);
            EXPECT_EQ(v.data<float>()[r * d + i], u <= sigm(rbm.b().data<float>()[i]) ? 1.0f : 0.0f);
        }
    }
}

// gibbs_chain is k consecutive gibbs_step calls, draw for draw; bad arguments change nothing.
TEST(Rbm, GibbsChainIsConsecutiveGibbsSteps) {
    auto rng = test::fresh_rng();
    Context ctx(Backend::Cpu, rng());
    const Rbm rbm = test::random_rbm(rng, 9, 5, 1.0f);
    const Tensor start = test::random_bits(rng, 6, 9);
    Tensor v1 = start.clone(), v2 = start.clone(), h1({6, 5}), h2({6, 5});
    gibbs_chain(ctx, rbm, v1, h1, Steps{3, 4});
    for (std::uint32_t s = 3; s < 7; ++s) gibbs_step(ctx, rbm, v2, h2, s);
    EXPECT_EQ(v1.to_vector<float>(), v2.to_vector<float>());
    EXPECT_EQ(h1.to_vector<float>(), h2.to_vector<float>());
    gibbs_chain(ctx, rbm, v1, h1, Steps{0, 0});  // no sweeps: unchanged
    EXPECT_EQ(v1.to_vector<float>(), v2.to_vector<float>());
    Tensor wrong({6, 4});
    EXPECT_THROW(gibbs_chain(ctx, rbm, v1, wrong, Steps{0, 1}), Error);
    EXPECT_EQ(v1.to_vector<float>(), v2.to_vector<float>());
}

// 4096 chains, 30 sweeps of burn-in, then 30 sweeps recorded: the visible
// histogram against the exact p(v) of a 4x3 RBM (16 states).
TEST(RbmStatistics, GibbsChainsReachTheExactDistribution) {
    auto rng = test::fresh_rng();
    Context ctx(Backend::Cpu, rng());
    Rbm rbm = test::random_rbm(rng, 4, 3, 1.0f);
    const Exact exact = enumerate(rbm);
    const std::int64_t chains = 4096;
    Tensor v = Tensor::zeros({chains, 4}), h = Tensor::zeros({chains, 3});
    std::vector<double> count(16, 0.0);
    double total = 0;
    for (std::uint32_t s = 0; s < 60; ++s) {
        gibbs_step(ctx, rbm, v, h, s);
        if (s < 30) continue;
        for (std::int64_t c = 0; c < chains; ++c) {
            unsigned mask = 0;
            for (int i = 0; i < 4; ++i) mask |= (v.data<float>()[c * 4 + i] > 0.5f) << i;
            count[mask] += 1;
            total += 1;
        }
    }
    double tv = 0;
    for (int k = 0; k < 16; ++k) tv += std::fabs(count[k] / total - exact.p_v[k]) / 2;
    // 122880 correlated draws: sampling noise in TV is ~0.005; 0.02 is a clear failure.
    EXPECT_LT(tv, 0.02);
}

// Clamped chains (inpainting): units 0 and 2 of a 5-unit RBM held at (1, 0) never change,
// and the free units' states after 30 sweeps follow p(v_free | v_0 = 1, v_2 = 0) from
// joint enumeration (a chi-square test on the 8 states, 7 degrees of freedom, at the
// 1e-4 level: 29.9); a clamp of zeros is the unclamped chain bit for bit.
TEST(RbmStatistics, ClampedChainsSampleTheConditionalAndKeepTheirUnits) {
    auto rng = test::fresh_rng();
    Context ctx(Backend::Cpu, rng());
    Rbm rbm = test::random_rbm(rng, 5, 3, 1.0f);
    const Exact exact = enumerate(rbm);
    // p(free | clamped): the joint over masks with bit 0 set and bit 2 clear, renormalised.
    std::vector<double> want(8, 0.0);
    double norm = 0;
    for (unsigned free = 0; free < 8; ++free) {
        const unsigned mask = 1u | (free & 1u) << 1 | (free >> 1 & 1u) << 3 | (free >> 2 & 1u) << 4;
        want[free] = exact.p_v[mask];
        norm += want[free];
    }
    const std::int64_t chains = 20000;
    std::vector<float> start(chains * 5), clamp(chains * 5, 0.0f);
    for (std::int64_t c = 0; c < chains; ++c) {
        for (int i = 0; i < 5; ++i) start[c * 5 + i] = static_cast<float>(rng() % 2);
        start[c * 5] = 1.0f, start[c * 5 + 2] = 0.0f;
        clamp[c * 5] = clamp[c * 5 + 2] = 1.0f;
    }
    Tensor v = Tensor::from(start, {chains, 5}), h = Tensor::zeros({chains, 3});
    const Tensor clamped = Tensor::from(clamp, {chains, 5});
    gibbs_chain(ctx, rbm, v, h, Steps{0, 30}, VisibleEvidence{clamped, {}});
    std::vector<double> count(8, 0.0);
    for (std::int64_t c = 0; c < chains; ++c) {
        const float* row = v.data<float>() + c * 5;
        ASSERT_EQ(row[0], 1.0f);
        ASSERT_EQ(row[2], 0.0f);
        count[(row[1] > 0.5f) | (row[3] > 0.5f) << 1 | (row[4] > 0.5f) << 2] += 1;
    }
    double chi2 = 0;
    for (int k = 0; k < 8; ++k) {
        const double expected = chains * want[k] / norm;
        chi2 += (count[k] - expected) * (count[k] - expected) / expected;
    }
    EXPECT_LT(chi2, 29.9);
    // A clamp of zeros changes nothing.
    Tensor a = Tensor::from(start, {chains, 5}), b = Tensor::from(start, {chains, 5});
    Tensor ha = Tensor::zeros({chains, 3}), hb = Tensor::zeros({chains, 3});
    const Tensor none = Tensor::zeros({chains, 5}), narrow = Tensor::zeros({chains, 4});
    gibbs_chain(ctx, rbm, a, ha, Steps{3, 4}, VisibleEvidence{none, none});
    gibbs_chain(ctx, rbm, b, hb, Steps{3, 4});
    EXPECT_EQ(a.to_vector<float>(), b.to_vector<float>());
    EXPECT_THROW(gibbs_chain(ctx, rbm, a, ha, Steps{0, 1}, VisibleEvidence{narrow, {}}), Error);
}

// Denoising evidence: a visible field f = (2 v~ - 1) log((1 - r) / r), the likelihood of
// bits flipped at rate r, makes the chains sample the posterior p(v | v~) proportional to
// p(v) r^(flips) (1 - r)^(D - flips): the 32 states after 30 sweeps against enumeration,
// a chi-square test at the 1e-4 level, the states expected fewer than 5 times pooled into one
// cell (31 degrees of freedom at most: 69.1).
TEST(RbmStatistics, AVisibleFieldSamplesTheNoisyObservationsPosterior) {
    auto rng = test::fresh_rng();
    Context ctx(Backend::Cpu, rng());
    Rbm rbm = test::random_rbm(rng, 5, 3, 1.0f);
    const Exact exact = enumerate(rbm);
    const double r = 0.2;
    const unsigned observed = static_cast<unsigned>(rng() % 32);
    std::vector<double> want(32);
    double norm = 0;
    for (unsigned v = 0; v < 32; ++v) {
        const int flips = __builtin_popcount(v ^ observed);
        want[v] = exact.p_v[v] * std::pow(r, flips) * std::pow(1 - r, 5 - flips);
        norm += want[v];
    }
    const std::int64_t chains = 20000;
    std::vector<float> field(chains * 5), start(chains * 5);
    for (std::int64_t c = 0; c < chains; ++c) {
        for (int i = 0; i < 5; ++i) {
            const bool bit = observed >> i & 1u;
            field[c * 5 + i] = static_cast<float>((bit ? 1.0 : -1.0) * std::log((1 - r) / r));
            start[c * 5 + i] = bit ? 1.0f : 0.0f;
        }
    }
    Tensor v = Tensor::from(start, {chains, 5}), h = Tensor::zeros({chains, 3});
    const Tensor f = Tensor::from(field, {chains, 5});
    gibbs_chain(ctx, rbm, v, h, Steps{0, 30}, VisibleEvidence{{}, f});
    std::vector<double> count(32, 0.0);
    for (std::int64_t c = 0; c < chains; ++c) {
        unsigned mask = 0;
        for (int i = 0; i < 5; ++i) mask |= (v.data<float>()[c * 5 + i] > 0.5f) << i;
        count[mask] += 1;
    }
    double chi2 = 0, pooled_count = 0, pooled_expected = 0;
    for (int k = 0; k < 32; ++k) {
        const double expected = chains * want[k] / norm;
        if (expected < 5) {
            pooled_count += count[k], pooled_expected += expected;
            continue;
        }
        chi2 += (count[k] - expected) * (count[k] - expected) / expected;
    }
    if (pooled_expected > 0) chi2 += (pooled_count - pooled_expected) * (pooled_count - pooled_expected) / pooled_expected;
    EXPECT_LT(chi2, 69.1);
}

TEST(Rbm, CdGradientChainsAreGibbsStepsWithConsecutiveKeys) {
    auto rng = test::fresh_rng();
    Context ctx(Backend::Cpu, rng());
    Rbm rbm = test::random_rbm(rng, 6, 4, 1.0f);
    Tensor data = visible_batch({1, 7, 12, 63, 0}, 6);
    Tensor chains = data.clone(), manual = data.clone(), h = Tensor::zeros({5, 4});
    Rbm grad = rbm.zeros_like();
    cd_gradient(ctx, rbm, data, chains, grad, Steps{10, 3});
    for (std::uint32_t s = 10; s < 13; ++s) gibbs_step(ctx, rbm, manual, h, s);
    EXPECT_EQ(chains.to_vector<float>(), manual.to_vector<float>());

    // And the gradient is data statistics minus chain statistics.
    Tensor ph_data = test::poisoned({5, 4}), ph_model = test::poisoned({5, 4});
    rbm_hidden_probs(ctx, rbm, data, ph_data);
    rbm_hidden_probs(ctx, rbm, chains, ph_model);
    std::vector<double> dw(24, 0.0);
    for (int r = 0; r < 5; ++r) {
        for (int i = 0; i < 6; ++i) {
            for (int j = 0; j < 4; ++j) {
                dw[i * 4 + j] += (data.data<float>()[r * 6 + i] * ph_data.data<float>()[r * 4 + j] -
                                  chains.data<float>()[r * 6 + i] * ph_model.data<float>()[r * 4 + j]) / 5.0;
            }
        }
    }
    EXPECT_LT(test::relative_error(grad.w().to_vector<float>(), dw), 1e-5);
}

// The exact log-likelihood gradient of a data set by enumeration, against CD with
// long chains (k = 50, 8192 chains): CD-k is then an unbiased estimate.
TEST(RbmStatistics, LongChainCdMatchesExactLikelihoodGradient) {
    auto rng = test::fresh_rng();
    Context ctx(Backend::Cpu, rng());
    const int d = 4, m = 3;
    Rbm rbm = test::random_rbm(rng, d, m, 1.0f);
    const std::vector<unsigned> masks{3, 5, 9, 15, 0, 6};
    Tensor data = visible_batch(masks, d);
    const std::int64_t chains_n = 8192;
    std::vector<unsigned> init(chains_n);
    for (std::int64_t c = 0; c < chains_n; ++c) init[c] = masks[c % masks.size()];
    Tensor chains = visible_batch(init, d);
    Rbm grad = rbm.zeros_like();
    cd_gradient(ctx, rbm, data, chains, grad, Steps{0, 50});

    // Exact: <v p(h|v)^T>_data - sum_{v,h} p(v,h) v h^T.
    const Exact exact = enumerate(rbm);
    std::vector<double> ref(d * m, 0.0);
    auto ph = [&](unsigned v, int j) {
        double a = rbm.c().data<float>()[j];
        for (int i = 0; i < d; ++i) a += (v >> i & 1) * double(rbm.w().data<float>()[i * m + j]);
        return 1 / (1 + std::exp(-a));
    };
    for (unsigned v : masks) {
        for (int i = 0; i < d; ++i) {
            for (int j = 0; j < m; ++j) ref[i * m + j] += (v >> i & 1) * ph(v, j) / masks.size();
        }
    }
    for (unsigned v = 0; v < (1u << d); ++v) {
        for (int i = 0; i < d; ++i) {
            for (int j = 0; j < m; ++j) ref[i * m + j] -= exact.p_v[v] * (v >> i & 1) * ph(v, j);
        }
    }
    const auto got = grad.w().to_vector<float>();
    // Standard error of each model term is below 0.5 / sqrt(8192) ~ 0.0055.
    for (int e = 0; e < d * m; ++e) EXPECT_NEAR(got[e], ref[e], 0.03) << "W entry " << e;
}

}  // namespace
}  // namespace ebmkit

namespace ebmkit {
namespace {

// rbm_gradient is cd_gradient without its sweeps: k sweeps by gibbs_chain, then the
// gradient of the swept chains as given samples, is the same ascent direction.
TEST(Rbm, GradientOfGivenSamplesIsCdWithoutItsSweeps) {
    auto rng = test::fresh_rng();
    Context ctx(Backend::Cpu, rng());
    const Rbm rbm = test::random_rbm(rng, 7, 5, 0.8f);
    const Tensor data = test::random_bits(rng, 11, 7), start = test::random_bits(rng, 9, 7);
    Tensor chains = start.clone(), swept = start.clone(), h({9, 5});
    Rbm by_cd = rbm.zeros_like(), by_samples = rbm.zeros_like();
    cd_gradient(ctx, rbm, data, chains, by_cd, Steps{4, 3});
    gibbs_chain(ctx, rbm, swept, h, Steps{4, 3});
    rbm_gradient(ctx, rbm, data, swept, by_samples);
    EXPECT_EQ(chains.to_vector<float>(), swept.to_vector<float>());
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(by_cd.parameters()[i].to_vector<float>(), by_samples.parameters()[i].to_vector<float>()) << i;
    }
    Rbm& self = by_samples;
    EXPECT_THROW(rbm_gradient(ctx, self, data, swept, self), Error);
    const Tensor narrow({9, 6});
    EXPECT_THROW(rbm_gradient(ctx, rbm, data, narrow, by_samples), Error);
}

// Data parallelism: two ranks' shards of a batch (data rows 0..6 and 7..11, chains
// 0..3 and 4..7, each keyed from its global chain index and scaled by the global row
// counts) advance those chains exactly as the whole call does, and their gradients sum
// to the whole batch's.
TEST(Rbm, CdGradientShardsSumToTheWholeBatch) {
    auto rng = test::fresh_rng();
    Context ctx(Backend::Cpu, rng());
    Rbm rbm = test::random_rbm(rng, 9, 5, 1.0f);
    const Tensor data = test::random_bits(rng, 12, 9), start = test::random_bits(rng, 8, 9);
    Tensor chains = start.clone();
    Rbm whole = rbm.zeros_like();
    cd_gradient(ctx, rbm, data, chains, whole, Steps{7, 3});

    auto rows = [](const Tensor& t, std::int64_t from, std::int64_t count) {
        return Tensor::copy_of(ConstTensorView(t.data<float>() + from * t.dim(1), {count, t.dim(1)}, DType::F32,
                                               Device::Host),
                               Device::Host);
    };
    std::vector<double> sum_w(45, 0.0), sum_b(9, 0.0), sum_c(5, 0.0);
    for (const auto& [data_from, data_rows, chain_from] :
         {std::tuple<std::int64_t, std::int64_t, std::int64_t>{0, 7, 0}, {7, 5, 4}}) {
        Tensor part = rows(start, chain_from, 4);
        Rbm grad = rbm.zeros_like();
        const Tensor shard_data = rows(data, data_from, data_rows);
        cd_gradient(ctx, rbm, shard_data, part, grad, Steps{7, 3},
                    RbmShard{static_cast<std::uint32_t>(chain_from), 12, 8});
        EXPECT_EQ(part.to_vector<float>(), rows(chains, chain_from, 4).to_vector<float>()) << "chains " << chain_from;
        for (int i = 0; i < 45; ++i) sum_w[i] += grad.w().data<float>()[i];
        for (int i = 0; i < 9; ++i) sum_b[i] += grad.b().data<float>()[i];
        for (int j = 0; j < 5; ++j) sum_c[j] += grad.c().data<float>()[j];
    }
    EXPECT_LT(test::relative_error(sum_w, whole.w().to_vector<float>()), 1e-6);
    EXPECT_LT(test::relative_error(sum_b, whole.b().to_vector<float>()), 1e-6);
    EXPECT_LT(test::relative_error(sum_c, whole.c().to_vector<float>()), 1e-6);

    // A shard's global counts cannot be fewer than its own rows.
    Rbm grad = rbm.zeros_like();
    Tensor part = start.clone();
    EXPECT_THROW(cd_gradient(ctx, rbm, data, part, grad, Steps{0, 1}, RbmShard{0, 11, 0}), Error);
    EXPECT_THROW(rbm_gradient(ctx, rbm, data, part, grad, RbmShard{0, 0, 7}), Error);
}

}  // namespace
}  // namespace ebmkit
