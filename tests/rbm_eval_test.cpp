// AIS against exact log Z, RAISE against the annealing model by enumeration and
// against exact log Z, pseudo-likelihood against brute force, the base-rate model.
// (RbmTrainer: tests/rbm_trainer_test.cpp.)
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

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

// p_ann(v) = [p_A T_1 ... T_K](v) by enumeration in double, T_k(v' | v) =
// sum_h p_k(h | v) p_k(v' | h) the sweep of AIS's path at beta_k (ebmkit/rbm.hpp).
std::vector<double> annealing_model_by_enumeration(const Rbm& rbm, const std::vector<float>& base,
                                                   const std::vector<double>& betas) {
    const int d = static_cast<int>(rbm.visible()), m = static_cast<int>(rbm.hidden());
    const auto w = rbm.w().to_vector<float>(), b = rbm.b().to_vector<float>(), c = rbm.c().to_vector<float>();
    const int nv = 1 << d, nh = 1 << m;
    auto bit = [](int s, int i) { return (s >> i) & 1; };
    auto sigm = [](double z) { return 1.0 / (1.0 + std::exp(-z)); };
    std::vector<double> p(nv);
    for (int s = 0; s < nv; ++s) {
        double q = 1;
        for (int i = 0; i < d; ++i) q *= bit(s, i) ? sigm(base[i]) : 1 - sigm(base[i]);
        p[s] = q;
    }
    for (std::size_t k = 1; k < betas.size(); ++k) {
        const double beta = betas[k];
        std::vector<double> next(nv, 0.0);
        for (int s = 0; s < nv; ++s) {
            for (int t = 0; t < nh; ++t) {
                double ph = 1;  // p_k(h = t | v = s)
                for (int j = 0; j < m; ++j) {
                    double x = c[j];
                    for (int i = 0; i < d; ++i) x += bit(s, i) * w[i * m + j];
                    ph *= bit(t, j) ? sigm(beta * x) : 1 - sigm(beta * x);
                }
                for (int u = 0; u < nv; ++u) {
                    double pv = 1;  // p_k(v = u | h = t)
                    for (int i = 0; i < d; ++i) {
                        double a = b[i];
                        for (int j = 0; j < m; ++j) a += bit(t, j) * w[i * m + j];
                        const double z = (1 - beta) * base[i] + beta * a;
                        pv *= bit(u, i) ? sigm(z) : 1 - sigm(z);
                    }
                    next[u] += p[s] * ph * pv;
                }
            }
        }
        p = next;
    }
    return p;
}

// E[w] = p_ann(v) exactly, whatever the schedule: with betas {0, 0.5, 1} p_ann is far
// from p, and every configuration's mean weight matches p_ann (5 standard errors), while
// against p the chi-square of the 16 means is far beyond its 16 degrees of freedom.
TEST(Rbm, RaiseWeightsAreUnbiasedForTheAnnealingModel) {
    auto rng = test::fresh_rng();
    Context ctx(Backend::Cpu, rng());
    const std::int64_t d = 4, m = 3, nv = 16, copies = 40;
    std::mt19937_64 model_rng(16);  // a fixed model, strongly coupled: p_ann and p differ widely
    const Rbm rbm = test::random_rbm(model_rng, d, m, 2.0f);
    const Tensor base = test::uniform_tensor(model_rng, {d}, -1, 1);
    AisOptions options;
    options.runs = 500;
    options.betas = {0.0, 0.5, 1.0};
    const std::vector<double> p_ann = annealing_model_by_enumeration(rbm, base.to_vector<float>(), options.betas);
    Tensor v({nv * copies, d});  // each configuration, copies times
    for (std::int64_t r = 0; r < nv * copies; ++r) {
        for (std::int64_t i = 0; i < d; ++i) v.data<float>()[r * d + i] = static_cast<float>(((r / copies) >> i) & 1);
    }
    const RaiseResult r = log_likelihood_raise(ctx, rbm, base, v, options);
    ASSERT_EQ(r.log_likelihoods.size(), static_cast<std::size_t>(nv * copies));
    const double log_z = log_partition_exact(ctx, rbm);
    Tensor f({nv * copies});
    free_energy(ctx, rbm, v, f);
    double chi2_p = 0;  // of the mean weights against p instead of p_ann
    for (std::int64_t s = 0; s < nv; ++s) {
        double mean = 0, sq = 0;  // over the copies, each a mean of 500 weights
        for (std::int64_t c = 0; c < copies; ++c) mean += std::exp(r.log_likelihoods[s * copies + c]);
        mean /= copies;
        for (std::int64_t c = 0; c < copies; ++c) sq += std::pow(std::exp(r.log_likelihoods[s * copies + c]) - mean, 2);
        const double se = std::sqrt(sq / (copies - 1) / copies);
        EXPECT_NEAR(mean, p_ann[s], 5 * se) << "configuration " << s;
        const double p = std::exp(-double(f.data<float>()[s * copies]) - log_z);
        chi2_p += (mean - p) * (mean - p) / (se * se);
    }
    EXPECT_GT(chi2_p, 80.0) << "the schedule is too fine to tell p_ann from p";  // 16 degrees of freedom: ~16 against p_ann
}

// With W = 0 every ratio along the path is the same constant for every v: each run's
// estimate is the exact log p(v).
TEST(Rbm, RaiseIsExactWhenTheModelIsTheBase) {
    auto rng = test::fresh_rng();
    Context ctx(Backend::Cpu, rng());
    Rbm rbm(7, 3);
    const Tensor b = test::uniform_tensor(rng, {7}, -2, 2), c = test::uniform_tensor(rng, {3}, -2, 2);
    rbm.b().copy_from(b);
    rbm.c().copy_from(c);
    const Tensor v = test::random_bits(rng, 5, 7);
    AisOptions options;
    options.runs = 3;
    options.betas = linear_ais_schedule(10);
    const RaiseResult r = log_likelihood_raise(ctx, rbm, b, v, options);
    const double log_z = log_partition_exact(ctx, rbm);
    Tensor f({5});
    free_energy(ctx, rbm, v, f);
    double mean = 0;
    for (int n = 0; n < 5; ++n) {
        EXPECT_NEAR(r.log_likelihoods[n], -double(f.data<float>()[n]) - log_z, 1e-5) << n;
        mean += r.log_likelihoods[n] / 5;
    }
    EXPECT_NEAR(r.mean, mean, 1e-12);
    EXPECT_GT(r.std_error, 0.0);
}

// A dense schedule on a model with exact log Z: RAISE (conservative) and AIS
// (optimistic) bracket the exact mean log-likelihood of the rows, each within a
// fraction of a nat of it.
TEST(RbmStatistics, RaiseAndAisBracketTheExactLogLikelihood) {
    auto rng = test::fresh_rng();
    Context ctx(Backend::Cpu, rng());
    const std::int64_t d = 24, m = 10, n = 40;
    const Rbm rbm = test::random_rbm(rng, d, m, 0.6f);
    const Tensor data = test::random_bits(rng, 300, d, 0.3f);
    const Tensor base = base_rate_bias(data);
    const Tensor v = test::random_bits(rng, n, d, 0.3f);
    AisOptions options;
    options.runs = 20;
    options.betas = linear_ais_schedule(300);
    const RaiseResult raise = log_likelihood_raise(ctx, rbm, base, v, options);
    Tensor f({n});
    free_energy(ctx, rbm, v, f);
    double mean_neg_f = 0;
    for (float x : f.to_vector<float>()) mean_neg_f -= double(x) / n;
    const double exact = mean_neg_f - log_partition_exact(ctx, rbm);
    options.runs = 200;
    const double ais = mean_neg_f - log_partition_ais(ctx, rbm, base, options).log_z;
    EXPECT_LT(raise.mean, exact + 0.05);
    EXPECT_GT(raise.mean, exact - 0.5);
    EXPECT_NEAR(ais, exact, 0.2);
    EXPECT_GT(raise.std_error, 0.0);
}

TEST(Rbm, RaiseRefusesBadArguments) {
    Context ctx(Backend::Cpu);
    Rbm rbm(3, 2);
    const Tensor base = Tensor::zeros({3}), v = Tensor::zeros({2, 3}), wide = Tensor::zeros({2, 4}), empty = Tensor::zeros({0, 3}),
                 long_base = Tensor::zeros({4}), one_row = Tensor::zeros({1, 3});
    AisOptions o;
    o.runs = 2;
    o.betas = {0.0, 0.5};
    EXPECT_THROW(log_likelihood_raise(ctx, rbm, base, v, o), Error);
    o.betas = {0.0, 1.0};
    o.runs = 0;
    EXPECT_THROW(log_likelihood_raise(ctx, rbm, base, v, o), Error);
    o.runs = 1;
    EXPECT_THROW(log_likelihood_raise(ctx, rbm, base, wide, o), Error);
    EXPECT_THROW(log_likelihood_raise(ctx, rbm, base, empty, o), Error);
    EXPECT_THROW(log_likelihood_raise(ctx, rbm, long_base, v, o), Error);
    o.runs = std::int64_t{1} << 31;
    EXPECT_THROW(log_likelihood_raise(ctx, rbm, base, v, o), Error);
    o.runs = 1;
    const RaiseResult one = log_likelihood_raise(ctx, rbm, base, one_row, o);
    EXPECT_EQ(one.std_error, 0.0);
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
