// The samplers for any energy (include/ebmkit/sample.hpp) on the CPU, against closed
// forms: the shipped energies' gradients against finite differences; MALA and HMC on a
// correlated Gaussian (mean and covariance), ULA's discretised-chain covariance
// T (P - alpha P^2 / 2)^-1 (which the target's is not: the step convention itself),
// the temperature, the mixture's mode weight, the banana's and the double well's
// moments. Tolerances: 5 standard errors of each estimate, from the effective sample
// size of that estimate's own series (the chains' ESS of x_i for a mean, of the centred
// products for a covariance).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "ebmkit/energies.hpp"
#include "ebmkit/sample.hpp"
#include "support.hpp"

namespace ebmkit {
namespace {

// Central differences of a float energy, in double from float evaluations.
template <class E>
void expect_gradient(const E& energy, std::vector<float> x, const std::string& what) {
    const int d = energy.dim();
    std::vector<float> grad(static_cast<std::size_t>(d)), unused(static_cast<std::size_t>(d));
    const float e = energy(x.data(), grad.data());
    for (int i = 0; i < d; ++i) {
        const float h = 1e-2f * (1.0f + std::abs(x[i]));
        std::vector<float> up = x, down = x;
        up[i] += h;
        down[i] -= h;
        const double fd = (double(energy(up.data(), unused.data())) - energy(down.data(), unused.data())) /
                          (double(up[i]) - down[i]);
        // The difference's truncation (h^2 f''' / 6) and float rounding of E over 2h.
        EXPECT_NEAR(grad[i], fd, 2e-3 * (1 + std::abs(fd)) + 1e-5 * (1 + std::abs(e)) / h) << what << " i " << i;
    }
}

GaussianEnergy correlated_gaussian() {
    return GaussianEnergy::from_covariance({1.0, -1.0, 0.5}, {1.0, 0.6, 0.2, 0.6, 2.0, -0.4, 0.2, -0.4, 0.5});
}
const std::vector<double> gaussian_cov = {1.0, 0.6, 0.2, 0.6, 2.0, -0.4, 0.2, -0.4, 0.5};

TEST(Energies, GradientsAreTheEnergiesDerivatives) {
    auto rng = test::fresh_rng();
    std::uniform_real_distribution<float> u(-2.0f, 2.0f);
    auto point = [&](int d) {
        std::vector<float> x(static_cast<std::size_t>(d));
        for (auto& v : x) v = u(rng);
        return x;
    };
    const GaussianMixtureEnergy mix =
        GaussianMixtureEnergy::from({0.3, 0.7}, {-1.5, 0.0, 1.5, 0.5}, {0.8, 0.6}, 2);
    RidgeEnergy ridge;
    for (int j = 0; j < RidgeEnergy::ridges; ++j) {
        ridge.u[j][0] = 2 * std::cos(2 * M_PI * j / RidgeEnergy::ridges);
        ridge.u[j][1] = 2 * std::sin(2 * M_PI * j / RidgeEnergy::ridges);
        ridge.c[j] = u(rng) / 2;
        ridge.w[j] = 0.1f + 0.2f * (u(rng) + 2);
    }
    for (int trial = 0; trial < 20; ++trial) {
        expect_gradient(correlated_gaussian(), point(3), "gaussian");
        expect_gradient(mix, point(2), "mixture");
        expect_gradient(DoubleWellEnergy{3, 1.5f}, point(3), "double well");
        expect_gradient(BananaEnergy{1.2f, 0.7f}, point(2), "banana");
        expect_gradient(ridge, point(2), "ridge");
    }
    // P is the covariance's inverse; the mixture's exp(-E) integrates to 1.
    const GaussianEnergy g = correlated_gaussian();
    for (int i = 0; i < 3; ++i) {
        for (int j = 0; j < 3; ++j) {
            double pc = 0;
            for (int q = 0; q < 3; ++q) pc += g.precision[i * 3 + q] * gaussian_cov[q * 3 + j];
            EXPECT_NEAR(pc, i == j ? 1.0 : 0.0, 1e-6);
        }
    }
    double mass = 0;
    const double h = 0.02;
    std::vector<float> unused(2);
    for (double a = -8; a < 8; a += h) {
        for (double b = -8; b < 8; b += h) {
            const float x[2] = {static_cast<float>(a + h / 2), static_cast<float>(b + h / 2)};
            mass += std::exp(-double(mix(x, unused.data()))) * h * h;
        }
    }
    EXPECT_NEAR(mass, 1.0, 1e-4);
    EXPECT_THROW(GaussianEnergy::from_covariance({0, 0}, {1, 2, 2, 1}), Error);  // not positive definite
    EXPECT_THROW(GaussianEnergy::from_covariance({0, 0}, {1, 0.5, 0.4, 1}), Error);  // not symmetric
    EXPECT_THROW(GaussianMixtureEnergy::from({1, -1}, {0, 1}, {1, 1}, 1), Error);
}

// Chains of `energy` from x0 (every row), burn-in steps then `draws` traced ones.
template <class E>
SampleStats run(const E& energy, SampleParams p, std::int64_t chains, std::uint32_t burn_in, std::uint32_t draws,
                std::uint64_t seed, std::vector<float> x0 = {}) {
    Context cpu(Backend::Cpu, seed);
    const int d = energy.dim();
    if (x0.empty()) x0.assign(static_cast<std::size_t>(d), 0.0f);
    Tensor x({chains, d});
    for (std::int64_t r = 0; r < chains; ++r) {
        for (int i = 0; i < d; ++i) x.data<float>()[r * d + i] = x0[static_cast<std::size_t>(i)];
    }
    sample(cpu, energy, x, p, Steps{0, burn_in});
    return sample(cpu, energy, x, p, Steps{burn_in, draws}, true);
}

// The trace's mean [d] and covariance [d, d], each with the effective sample size of its
// own series (x_i, and (x_i - m_i)(x_j - m_j)): HMC can be antithetic in x and slow in x^2.
struct Moments {
    std::vector<double> mean, cov, mean_ess, cov_ess;
    double ess;  // the least over the dimensions' means
};
Moments moments(const SampleStats& s, int d) {
    Moments m{std::vector<double>(d, 0.0), std::vector<double>(d * d, 0.0), {}, std::vector<double>(d * d, 0.0),
              INFINITY};
    const std::size_t n = s.trace.size() / static_cast<std::size_t>(d);
    const std::int64_t draws = static_cast<std::int64_t>(s.mean_energy.size()), chains = static_cast<std::int64_t>(n) / draws;
    for (std::size_t k = 0; k < n; ++k) {
        for (int i = 0; i < d; ++i) m.mean[i] += s.trace[k * d + i] / double(n);
    }
    std::vector<float> product(n);
    for (int i = 0; i < d; ++i) {
        for (int j = 0; j < d; ++j) {
            for (std::size_t k = 0; k < n; ++k) {
                const double v = (s.trace[k * d + i] - m.mean[i]) * (s.trace[k * d + j] - m.mean[j]);
                product[k] = static_cast<float>(v);
                m.cov[i * d + j] += v / double(n - 1);
            }
            m.cov_ess[i * d + j] = effective_sample_size(product.data(), draws, chains, chains, 1);
        }
    }
    m.mean_ess = s.diagnostics.effective_sample_size;
    for (double e : m.mean_ess) m.ess = std::min(m.ess, e);
    return m;
}

// Mean and covariance against want_mean and want_cov, each within 5 standard errors:
// sqrt(C_ii / ESS) for a mean, sqrt((C_ii C_jj + C_ij^2) / ESS) for a covariance (the
// variance of a Gaussian product), each with its own series' ESS.
void expect_moments(const Moments& m, const std::vector<double>& want_mean, const std::vector<double>& want_cov,
                    const std::string& what) {
    const int d = static_cast<int>(want_mean.size());
    ASSERT_GT(m.ess, 200) << what << ": too few effective samples for the check";
    for (int i = 0; i < d; ++i) {
        EXPECT_NEAR(m.mean[i], want_mean[i], 5 * std::sqrt(want_cov[i * d + i] / m.mean_ess[i])) << what << " mean " << i;
        for (int j = 0; j < d; ++j) {
            const double ess = m.cov_ess[i * d + j];
            const double se = std::sqrt((want_cov[i * d + i] * want_cov[j * d + j] + want_cov[i * d + j] * want_cov[i * d + j]) / ess);
            EXPECT_NEAR(m.cov[i * d + j], want_cov[i * d + j], 5 * se) << what << " cov " << i << j << " ess " << ess;
        }
    }
}

TEST(SampleConventions, MalaAndHmcReachACorrelatedGaussiansMoments) {
    auto rng = test::fresh_rng();
    const GaussianEnergy g = correlated_gaussian();
    const std::vector<double> mean = {1.0, -1.0, 0.5};
    const SampleStats mala = run(g, SampleParams::mala(0.15f), 256, 300, 600, rng());
    EXPECT_GT(mala.acceptance_rate(), 0.5);
    EXPECT_LT(mala.acceptance_rate(), 1.0);
    expect_moments(moments(mala, 3), mean, gaussian_cov, "mala");
    const SampleStats hmc = run(g, SampleParams::hmc(0.2f, 8), 128, 100, 300, rng());
    EXPECT_GT(hmc.acceptance_rate(), 0.6);
    expect_moments(moments(hmc, 3), mean, gaussian_cov, "hmc");
    // A per-dimension mass changes the dynamics, not the target.
    SampleParams massive = SampleParams::hmc(0.2f, 8);
    massive.mass = {1.0f, 2.0f, 0.5f};
    expect_moments(moments(run(g, massive, 128, 100, 300, rng()), 3), mean, gaussian_cov, "hmc with mass");
}

// ULA at step alpha and temperature T: x' = (I - alpha P) x + sigma eps has the stationary
// covariance S solving S = (I - alpha P) S (I - alpha P) + 2 alpha T I, S = T (P - alpha P^2 / 2)^-1
// (here through its eigen-free form: (P - alpha P^2 / 2) S = T I, solved in double). The
// target's covariance T P^-1 is many standard errors away: the test sees the convention.
TEST(SampleConventions, UlaReachesTheDiscretisedChainsCovariance) {
    auto rng = test::fresh_rng();
    const GaussianEnergy g = correlated_gaussian();
    const float alpha = 0.3f, temperature = 1.5f;
    const int d = 3;
    std::vector<double> p(9), a(9);
    for (int i = 0; i < d; ++i) {
        for (int j = 0; j < d; ++j) p[i * d + j] = g.precision[i * d + j];
    }
    for (int i = 0; i < d; ++i) {
        for (int j = 0; j < d; ++j) {
            double pp = 0;
            for (int q = 0; q < d; ++q) pp += p[i * d + q] * p[q * d + j];
            a[i * d + j] = p[i * d + j] - alpha / 2.0 * pp;
        }
    }
    // S = T A^-1 by Gauss-Jordan on [A | T I].
    std::vector<double> s(9, 0.0);
    for (int i = 0; i < d; ++i) s[i * d + i] = temperature;
    for (int c = 0; c < d; ++c) {
        const double pivot = a[c * d + c];
        for (int j = 0; j < d; ++j) {
            a[c * d + j] /= pivot;
            s[c * d + j] /= pivot;
        }
        for (int r = 0; r < d; ++r) {
            if (r == c) continue;
            const double f = a[r * d + c];
            for (int j = 0; j < d; ++j) {
                a[r * d + j] -= f * a[c * d + j];
                s[r * d + j] -= f * s[c * d + j];
            }
        }
    }
    const SampleStats ula = run(g, SampleParams::ula(alpha, temperature), 256, 200, 400, rng());
    EXPECT_EQ(ula.accepted, ula.proposals);
    const Moments m = moments(ula, d);
    expect_moments(m, {1.0, -1.0, 0.5}, s, "ula");
    double furthest = 0;  // from the target's T C, in standard errors
    for (int i = 0; i < d; ++i) {
        const double se = std::sqrt(2 * s[i * d + i] * s[i * d + i] / m.cov_ess[i * d + i]);
        furthest = std::max(furthest, std::abs(m.cov[i * d + i] - temperature * gaussian_cov[i * d + i]) / se);
    }
    EXPECT_GT(furthest, 10) << "the discretised chain's covariance should be far from the target's";
    // MALA at the same temperature corrects the bias: T C.
    std::vector<double> tc(gaussian_cov);
    for (double& v : tc) v *= temperature;
    expect_moments(moments(run(g, SampleParams::mala(0.15f, temperature), 256, 300, 600, rng()), d), {1.0, -1.0, 0.5},
                   tc, "mala at T");
}

// P(x_0 > 0) = sum_k w_k Phi(m_k0 / s_k) for the mixture; the indicator's standard error
// from its own effective sample size.
TEST(SampleConventions, MalaFindsTheMixturesModeWeights) {
    auto rng = test::fresh_rng();
    const GaussianMixtureEnergy mix = GaussianMixtureEnergy::from({0.3, 0.7}, {-1.5, 0.0, 1.5, 0.5}, {0.8, 0.6}, 2);
    const SampleStats s = run(mix, SampleParams::mala(0.2f), 256, 500, 1000, rng(), {0.0f, 0.0f});
    auto phi = [](double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); };
    const double want = 0.3 * phi(-1.5 / 0.8) + 0.7 * phi(1.5 / 0.6);
    const std::int64_t draws = 1000, chains = 256;
    std::vector<float> right(static_cast<std::size_t>(draws * chains));
    double fraction = 0;
    for (std::size_t k = 0; k < right.size(); ++k) {
        right[k] = s.trace[2 * k] > 0 ? 1.0f : 0.0f;
        fraction += right[k] / double(right.size());
    }
    const double ess = effective_sample_size(right.data(), draws, chains, chains, 1);
    EXPECT_NEAR(fraction, want, 5 * std::sqrt(want * (1 - want) / ess)) << "ess " << ess;
}

// The banana's closed moments (mean 0, var x_0 = s^2, var x_1 = 1 + 2 b^2 s^4, no
// correlation) by HMC; the double well's E[x_0^2] by quadrature of exp(-a (x^2 - 1)^2), by MALA.
TEST(SampleConventions, BananaAndDoubleWellMoments) {
    auto rng = test::fresh_rng();
    const float s = 1.0f, b = 0.5f;
    const SampleStats banana = run(BananaEnergy{s, b}, SampleParams::hmc(0.15f, 10), 128, 200, 500, rng());
    expect_moments(moments(banana, 2), {0.0, 0.0}, {s * s, 0.0, 0.0, 1 + 2 * b * b * s * s * s * s}, "banana");
    const float a = 1.0f;
    double z = 0, second = 0;
    for (double x = -4; x < 4; x += 1e-4) {
        const double w = std::exp(-a * (x * x - 1) * (x * x - 1));
        z += w;
        second += w * x * x;
    }
    second /= z;
    const SampleStats well = run(DoubleWellEnergy{2, a}, SampleParams::mala(0.1f), 256, 500, 1000, rng());
    const std::int64_t n = static_cast<std::int64_t>(well.trace.size() / 2);
    std::vector<float> sq(static_cast<std::size_t>(n));
    double mean_sq = 0;
    for (std::int64_t k = 0; k < n; ++k) {
        sq[k] = well.trace[2 * k] * well.trace[2 * k];
        mean_sq += sq[k] / double(n);
    }
    double var_sq = 0;
    for (float v : sq) var_sq += (v - mean_sq) * (v - mean_sq) / double(n - 1);
    const double ess = effective_sample_size(sq.data(), 1000, 256, 256, 1);
    EXPECT_NEAR(mean_sq, second, 5 * std::sqrt(var_sq / ess));
}

// A batch split into parts keyed by first_chain is the whole, bit for bit; the trace
// and its diagnostics have their documented shapes.
TEST(Sample, SplitBatchesAndTraces) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    const GaussianEnergy g = correlated_gaussian();
    Context cpu(Backend::Cpu, seed);
    for (SampleParams p : {SampleParams::ula(0.1f), SampleParams::mala(0.1f), SampleParams::hmc(0.2f, 5)}) {
        const Tensor start = test::uniform_tensor(rng, {10, 3}, -1, 1);
        Tensor whole = start.clone();
        const SampleStats all = sample(cpu, g, whole, p, Steps{4, 6}, true);
        EXPECT_EQ(all.trace.size(), 6u * 10 * 3);
        EXPECT_EQ(all.mean_energy.size(), 6u);
        EXPECT_EQ(all.diagnostics.effective_sample_size.size(), 3u);
        EXPECT_EQ(all.diagnostics.split_r_hat.size(), 3u);
        Tensor part({4, 3});
        std::copy_n(start.data<float>() + 6 * 3, 12, part.data<float>());
        p.first_chain = 6;
        sample(cpu, g, part, p, Steps{4, 6});
        const std::vector<float> w = whole.to_vector<float>();
        EXPECT_EQ(part.to_vector<float>(), std::vector<float>(w.begin() + 18, w.end()));
    }
}

// Bad input: an Error naming the argument, the chains unchanged.
TEST(Sample, BadArgumentsChangeNothing) {
    Context cpu(Backend::Cpu, 1);
    const GaussianEnergy g = correlated_gaussian();
    Tensor x = Tensor::from({0.1f, 0.2f, 0.3f}, {1, 3});
    auto expect_refused = [&](SampleParams p, const char* name) {
        try {
            sample(cpu, g, x, p, Steps{0, 3});
            ADD_FAILURE() << name << " was accepted";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
        }
        EXPECT_EQ(x.to_vector<float>(), (std::vector<float>{0.1f, 0.2f, 0.3f}));
    };
    expect_refused(SampleParams::mala(0.0f), "params.step");
    expect_refused(SampleParams::hmc(-0.1f, 3), "params.step");
    expect_refused(SampleParams::mala(0.1f, 0.0f), "params.temperature");
    expect_refused(SampleParams::hmc(0.1f, 0), "params.leapfrog");
    SampleParams wrong_mass = SampleParams::hmc(0.1f, 3);
    wrong_mass.mass = {1.0f, 1.0f};
    expect_refused(wrong_mass, "params.mass");
    wrong_mass.mass = {1.0f, 0.0f, 1.0f};
    expect_refused(wrong_mass, "params.mass[1]");
    SampleParams mala_mass = SampleParams::mala(0.1f);
    mala_mass.mass = {1.0f, 1.0f, 1.0f};
    expect_refused(mala_mass, "params.mass");
    Tensor wide({2, 4});
    EXPECT_THROW(sample(cpu, g, wide, SampleParams::mala(0.1f), Steps{0, 1}), Error);
}

// A user's energy in a file compiled for the host only: on a CUDA context the call says
// how to build it. (The shipped energies' calls are compiled in the library and run there:
// tests/sample_gpu_test.cu.)
struct UserQuadratic {
    int dim() const { return 2; }
    float operator()(const float* x, float* grad) const {
        grad[0] = x[0];
        grad[1] = x[1];
        return 0.5f * (x[0] * x[0] + x[1] * x[1]);
    }
};
static_assert(is_energy_v<UserQuadratic>);
static_assert(!is_energy_v<int>);

// The user's energy through every sampler: N(0, I) (ULA's chain: variance 1 / (1 - alpha / 2)).
TEST(Sample, AUserEnergyRunsThroughEverySampler) {
    auto rng = test::fresh_rng();
    for (const SampleParams& p : {SampleParams::ula(0.2f), SampleParams::mala(0.5f), SampleParams::hmc(0.3f, 5)}) {
        const SampleStats s = run(UserQuadratic{}, p, 512, 100, 200, rng());
        const double var = p.kind == SamplerKind::Ula ? 1.0 / (1.0 - 0.1) : 1.0;
        expect_moments(moments(s, 2), {0.0, 0.0}, {var, 0.0, 0.0, var}, to_string(p.kind));
        if (p.kind != SamplerKind::Ula) EXPECT_LT(s.accepted, s.proposals);
    }
}

// The shipped ridge energy, the 2-D test density of tests/two_dimensional_energy.hpp as a
// functor: MALA's histogram on 20 x 20 bins of [-3, 3]^2 (and the outside) within total
// variation 0.045 of exp(-E) normalised on a 400 x 400 grid over [-6, 6]^2.
TEST(Sample, MalaReachesTheRidgeEnergysGridDensity) {
    auto rng = test::fresh_rng();
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    RidgeEnergy ridge;
    for (int j = 0; j < RidgeEnergy::ridges; ++j) {
        ridge.u[j][0] = static_cast<float>(2 * std::cos(2 * M_PI * j / RidgeEnergy::ridges));
        ridge.u[j][1] = static_cast<float>(2 * std::sin(2 * M_PI * j / RidgeEnergy::ridges));
        ridge.c[j] = 2 * u(rng) - 1;
        ridge.w[j] = 0.1f + 0.4f * u(rng);
    }
    constexpr int bins = 20, g = 400;
    auto bin = [](double a, double b) {
        if (std::abs(a) >= 3 || std::abs(b) >= 3) return bins * bins;
        return static_cast<int>((a + 3) / 6 * bins) * bins + static_cast<int>((b + 3) / 6 * bins);
    };
    std::vector<double> exact(bins * bins + 1, 0.0);
    double z = 0;
    float grad[2];
    for (int i = 0; i < g; ++i) {
        for (int j = 0; j < g; ++j) {
            const float x[2] = {static_cast<float>(-6 + (i + 0.5) * 12.0 / g), static_cast<float>(-6 + (j + 0.5) * 12.0 / g)};
            const double w = std::exp(-double(ridge(x, grad)));
            z += w;
            exact[bin(x[0], x[1])] += w;
        }
    }
    const SampleStats s = run(ridge, SampleParams::mala(0.4f), 4096, 200, 100, rng());
    std::vector<double> count(bins * bins + 1, 0.0);
    const std::size_t n = s.trace.size() / 2;
    for (std::size_t k = 0; k < n; ++k) count[bin(s.trace[2 * k], s.trace[2 * k + 1])] += 1.0 / double(n);
    double tv = 0;
    for (std::size_t k = 0; k < count.size(); ++k) tv += std::abs(count[k] - exact[k] / z) / 2;
    EXPECT_LT(tv, 0.045);
}

TEST(Sample, AHostOnlyBuildRefusesACudaContext) {
    if (!cuda_available()) GTEST_SKIP() << "no CUDA device";
    Context gpu(Backend::Cuda, 1);
    Tensor x = Tensor::zeros({2, 2}, DType::F32, gpu);
    EXPECT_THROW(sample(gpu, UserQuadratic{}, x, SampleParams::mala(0.1f), Steps{0, 1}), Error);
}

}  // namespace
}  // namespace ebmkit
