// The MLP energy as an instance of the energy concept (include/ebmkit/mlp_energy_view.hpp)
// on the CPU: its energy and gradient are the library's (energy_and_grad_x, in double)
// for every activation, with and without a label; unadjusted Langevin through sample()
// is the MLP chain of langevin_chain (the same keyed noise, the same update); and MALA
// and HMC on an MLP whose density is a closed form reach its moments. The MLP
//   h = relu(x, -x),  f_k = c_k - a_k relu(x) - b_k relu(-x)
// has exp(-E) = sum_k e^{c_k} exp(-a_k x^+ - b_k x^-): a mixture of asymmetric Laplace
// densities, weights e^{c_k} (1/a_k + 1/b_k), whose moments are closed forms
// (LaplaceMixture::moments). Tolerances: 5 standard errors from each estimate's own
// effective sample size.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "ebmkit/diagnostics.hpp"
#include "ebmkit/energies.hpp"
#include "ebmkit/langevin.hpp"
#include "ebmkit/mlp_energy_view.hpp"
#include "ebmkit/sample.hpp"
#include "support.hpp"

namespace ebmkit {
namespace {

TEST(MlpEnergyView, IsTheLibrarysEnergyAndGradient) {
    auto rng = test::fresh_rng();
    Context cpu(Backend::Cpu, rng());
    static_assert(is_energy_v<MlpEnergyView>);
    for (const Activation act : {Activation::relu(), Activation::leaky_relu(0.1f), Activation::elu(), Activation::silu(),
                                 Activation::tanh(), Activation::softplus()}) {
        const MlpEnergy model = test::random_mlp(rng, {7, 12, 9, 5}, act, 1.5f);
        const std::int64_t n = 6;
        const Tensor x = test::uniform_tensor(rng, {n, 7}, -2, 2);
        std::vector<std::int32_t> y(n);
        for (auto& v : y) v = static_cast<std::int32_t>(rng() % 5);
        const Tensor labels = Tensor::from(y, {n});
        for (bool labelled : {false, true}) {
            Tensor e({n}), grad({n, 7});
            if (labelled) energy_and_grad_x(cpu, model, x, labels, e, grad);
            else energy_and_grad_x(cpu, model, x, e, grad);
            for (std::int64_t r = 0; r < n; ++r) {
                const MlpEnergyView view = MlpEnergyView::of(model, labelled ? y[r] : -1);
                std::vector<float> g(7), scratch(static_cast<std::size_t>(view.scratch_floats()), -9.0f);
                const float got = view(x.data<float>() + r * 7, g.data(), scratch.data());
                const std::string what = std::string(to_string(act.kind)) + (labelled ? " labelled" : "") + " row " +
                                         std::to_string(r);
                EXPECT_NEAR(got, e.data<float>()[r], 1e-5 * (1 + std::abs(e.data<float>()[r]))) << what;
                const std::vector<float> want(grad.data<float>() + r * 7, grad.data<float>() + (r + 1) * 7);
                EXPECT_LT(test::relative_error(g, want), 1e-5) << what;
            }
        }
    }
    const MlpEnergy model = test::random_mlp(rng, {3, 4, 2}, Activation::elu());
    EXPECT_THROW(MlpEnergyView::of(model, 2), Error);  // K = 2
    EXPECT_THROW(MlpEnergyView::of(test::random_mlp(rng, {2, 2, 2, 2, 2, 2, 2, 2, 2, 2}, Activation::elu())), Error);
}

// The MLP chain of the Langevin family (langevin_chain without a box, sigma = sqrt(2 alpha))
// and ULA on the view draw the same noise for the same chains and steps.
TEST(MlpEnergyView, UlaIsTheMlpsLangevinChain) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    Context cpu(Backend::Cpu, seed);
    const MlpEnergy model = test::random_mlp(rng, {10, 16, 16, 4}, Activation::silu());
    const Tensor start = test::uniform_tensor(rng, {33, 10}, -1, 1);
    const float alpha = 0.01f;
    LangevinParams p = LangevinParams::with_temperature(alpha, 1.0f);
    p.first_chain = 7;
    Tensor a = start.clone(), b = start.clone();
    langevin_chain(cpu, model, a, p, Steps{5, 12});
    SampleParams q = SampleParams::ula(alpha);
    q.first_chain = 7;
    sample(cpu, MlpEnergyView::of(model), b, q, Steps{5, 12});
    // The MLP chain's gradient is computed in double, the view's in float.
    EXPECT_LT(test::relative_error(b.to_vector<float>(), a.to_vector<float>()), 1e-5);
    EXPECT_GT(test::relative_error(b.to_vector<float>(), start.to_vector<float>()), 1e-2);  // the chains moved
}

// The asymmetric-Laplace mixture as an MLP {1, 2, K} with ReLU.
struct LaplaceMixture {
    std::vector<double> a, b, c;
    MlpEnergy model() const {
        const auto k = static_cast<std::int64_t>(a.size());
        MlpEnergy m({1, 2, k}, Activation::relu());
        m.weight(0).data<float>()[0] = 1.0f;
        m.weight(0).data<float>()[1] = -1.0f;
        for (std::int64_t j = 0; j < k; ++j) {
            m.weight(1).data<float>()[j * 2] = static_cast<float>(-a[j]);
            m.weight(1).data<float>()[j * 2 + 1] = static_cast<float>(-b[j]);
            m.bias(1).data<float>()[j] = static_cast<float>(c[j]);
        }
        return m;
    }
    // E[x^p] under exp(-E) for p = 1, 2, 4 (a component's: p! (1/a^{p+1} + (-1)^p / b^{p+1}) / (1/a + 1/b)).
    std::vector<double> moments() const {
        double z = 0, m1 = 0, m2 = 0, m4 = 0;
        for (std::size_t j = 0; j < a.size(); ++j) {
            const double ia = 1 / a[j], ib = 1 / b[j], w = std::exp(c[j]) * (ia + ib);
            z += w;
            m1 += w * (std::pow(ia, 2) - std::pow(ib, 2)) / (ia + ib);
            m2 += w * 2 * (std::pow(ia, 3) + std::pow(ib, 3)) / (ia + ib);
            m4 += w * 24 * (std::pow(ia, 5) + std::pow(ib, 5)) / (ia + ib);
        }
        return {m1 / z, m2 / z, m4 / z};
    }
};

TEST(MlpEnergyView, MalaAndHmcReachAnMlpDensitysClosedMoments) {
    auto rng = test::fresh_rng();
    const LaplaceMixture mix{{1.0, 2.0, 0.7}, {1.5, 0.8, 2.5}, {0.0, 0.5, -0.3}};
    const MlpEnergy model = mix.model();
    const std::vector<double> m = mix.moments();
    const double mean = m[0], second = m[1], var = second - mean * mean, var_sq = m[2] - second * second;
    SampleParams hmc = SampleParams::hmc(0.4f, 5);
    for (const SampleParams& p : {SampleParams::mala(0.4f), hmc}) {
        Context cpu(Backend::Cpu, rng());
        const std::int64_t chains = 256;
        const std::uint32_t burn_in = 200, draws = 1000;
        Tensor x = Tensor::zeros({chains, 1}, DType::F32);
        const MlpEnergyView view = MlpEnergyView::of(model);
        sample(cpu, view, x, p, Steps{0, burn_in});
        const SampleStats s = sample(cpu, view, x, p, Steps{burn_in, draws}, true);
        const std::string what = to_string(p.kind);
        EXPECT_GT(s.acceptance_rate(), 0.3) << what;
        EXPECT_LT(s.acceptance_rate(), 1.0) << what;
        std::vector<float> sq(s.trace.size());
        double m1 = 0, m2 = 0;
        for (std::size_t k = 0; k < s.trace.size(); ++k) {
            sq[k] = s.trace[k] * s.trace[k];
            m1 += s.trace[k] / double(s.trace.size());
            m2 += sq[k] / double(s.trace.size());
        }
        const double ess1 = effective_sample_size(s.trace.data(), draws, chains, chains, 1);
        const double ess2 = effective_sample_size(sq.data(), draws, chains, chains, 1);
        ASSERT_GT(std::min(ess1, ess2), 200) << what;
        EXPECT_NEAR(m1, mean, 5 * std::sqrt(var / ess1)) << what << " ess " << ess1;
        EXPECT_NEAR(m2, second, 5 * std::sqrt(var_sq / ess2)) << what << " ess " << ess2;
    }
}

TEST(MlpEnergyView, AModelOnAnotherDeviceIsRefused) {
    auto rng = test::fresh_rng();
    MlpEnergyView view = MlpEnergyView::of(test::random_mlp(rng, {3, 4, 2}, Activation::elu()));
    view.on = Device::Cuda;  // as a view of a model on the GPU says
    Context cpu(Backend::Cpu, 1);
    Tensor x = Tensor::zeros({4, 3}, DType::F32);
    try {
        sample(cpu, view, x, SampleParams::mala(0.1f), Steps{0, 3});
        ADD_FAILURE() << "a view of a GPU model ran on a CPU context";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("the energy's parameters are on cuda"), std::string::npos) << e.what();
    }
    EXPECT_EQ(x.to_vector<float>(), std::vector<float>(12, 0.0f));
}

}  // namespace
}  // namespace ebmkit
