// The samplers' steps on arrays (include/ebmkit/sample_steps.hpp) on the CPU: driven by a
// loop that computes the energy and gradient itself (as a framework's autograd would),
// they reproduce sample()'s chains bit for bit, for ULA, MALA and HMC (with a mass): the
// same keys, the same rules. Bad arguments are refused before anything is written.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "ebmkit/energies.hpp"
#include "ebmkit/sample_steps.hpp"
#include "support.hpp"

namespace ebmkit {
namespace {

const GaussianMixtureEnergy mixture = GaussianMixtureEnergy::from({0.4, 0.6}, {-1.0, 0.5, 1.0, -0.5}, {0.7, 0.9}, 2);

// Energies and gradients of every row of x, computed "elsewhere".
void evaluate(const Tensor& x, Tensor& e, Tensor& g) {
    for (std::int64_t r = 0; r < x.dim(0); ++r) {
        e.data<float>()[r] = mixture(x.data<float>() + r * 2, g.data<float>() + r * 2);
    }
}

// steps of `p` from start by the step operations, the leapfrog done here.
std::vector<float> by_steps(Context& ctx, const Tensor& start, const SampleParams& p, Steps steps,
                            ConstTensorView mass, std::int64_t& accepted) {
    const std::int64_t n = start.dim(0);
    Tensor x = start.clone(), e({n}), g({n, 2}), px({n, 2}), pe({n}), pg({n, 2}), p0({n, 2}), p1({n, 2});
    Tensor acc({n}, DType::I32);
    evaluate(x, e, g);
    accepted = 0;
    for (std::uint32_t s = steps.first; s < steps.first + steps.count; ++s) {
        if (p.kind == SamplerKind::Ula) {
            sample_propose(ctx, x, g, p, s, x);
            evaluate(x, e, g);
            accepted += n;
            continue;
        }
        if (p.kind == SamplerKind::Mala) {
            sample_propose(ctx, x, g, p, s, px);
            evaluate(px, pe, pg);
            sample_accept(ctx, x, e, g, px, pe, pg, p, s, acc);
        } else {
            sample_momentum(ctx, p0, p, s, mass);
            // The leapfrog of detail/sample_chain.hpp, in the same float operations.
            const float half = 0.5f * p.step / p.temperature, full = p.step / p.temperature;
            for (std::int64_t k = 0; k < n * 2; ++k) {
                p1.data<float>()[k] = p0.data<float>()[k] - half * g.data<float>()[k];
                px.data<float>()[k] = x.data<float>()[k];
            }
            for (std::uint32_t l = 0; l < p.leapfrog; ++l) {
                for (std::int64_t k = 0; k < n * 2; ++k) {
                    const float m = mass.raw() ? mass.data<float>()[k % 2] : 1.0f;
                    px.data<float>()[k] += p.step * p1.data<float>()[k] / m;
                }
                evaluate(px, pe, pg);
                const float kick = l + 1 < p.leapfrog ? full : half;
                for (std::int64_t k = 0; k < n * 2; ++k) p1.data<float>()[k] -= kick * pg.data<float>()[k];
            }
            sample_accept(ctx, x, e, g, px, pe, pg, p, s, acc, p0, p1, mass);
        }
        for (std::int32_t a : acc.to_vector<std::int32_t>()) accepted += a;
    }
    return x.to_vector<float>();
}

TEST(SampleSteps, DrivenFromOutsideTheyAreTheChainsOfSample) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    Context cpu(Backend::Cpu, seed);
    const Tensor start = test::uniform_tensor(rng, {50, 2}, -2, 2);
    const Tensor mass = Tensor::from({1.0f, 3.0f}, {2});
    // Steps large enough that some of the 450 proposals are rejected (MALA accepts 81 to 89%,
    // HMC 92 to 98% over 40 seeds; HMC at eps 0.3 accepted all 450 now and then).
    for (SampleParams p : {SampleParams::ula(0.2f), SampleParams::mala(0.4f, 0.5f), SampleParams::hmc(0.8f, 4, 1.5f)}) {
        p.first_chain = 7;
        for (bool with_mass : {false, true}) {
            if (with_mass && p.kind != SamplerKind::Hmc) continue;
            std::int64_t accepted = 0;
            const std::vector<float> steps = by_steps(cpu, start, p, Steps{3, 9}, with_mass ? mass.view() : ConstTensorView(), accepted);
            SampleParams q = p;
            if (with_mass) q.mass = {1.0f, 3.0f};
            Tensor x = start.clone();
            const SampleStats s = sample(cpu, mixture, x, q, Steps{3, 9});
            EXPECT_EQ(steps, x.to_vector<float>()) << to_string(p.kind) << " mass " << with_mass;
            EXPECT_EQ(accepted, s.accepted) << to_string(p.kind);
            if (p.kind != SamplerKind::Ula) EXPECT_LT(accepted, s.proposals);
        }
    }
}

TEST(SampleSteps, BadArgumentsChangeNothing) {
    Context cpu(Backend::Cpu, 1);
    Tensor x = Tensor::from({0.1f, 0.2f, 0.3f, 0.4f}, {2, 2}), e = Tensor::from({1.0f, 2.0f}, {2}),
           g = Tensor::from({0.5f, 0.5f, 0.5f, 0.5f}, {2, 2});
    const Tensor px = Tensor::from({1.0f, 1.0f, 1.0f, 1.0f}, {2, 2}), pe = Tensor::from({0.0f, 0.0f}, {2}),
                 pg = Tensor::from({0.0f, 0.0f, 0.0f, 0.0f}, {2, 2});
    Tensor acc = Tensor::from(std::vector<std::int32_t>{9, 9}, {2});
    const std::vector<float> before = x.to_vector<float>();
    auto refused = [&](const std::function<void()>& call, const char* name) {
        try {
            call();
            ADD_FAILURE() << name << " was accepted";
        } catch (const Error& err) {
            EXPECT_NE(std::string(err.what()).find(name), std::string::npos) << err.what();
        }
        EXPECT_EQ(x.to_vector<float>(), before);
        EXPECT_EQ(acc.to_vector<std::int32_t>(), (std::vector<std::int32_t>{9, 9}));
    };
    const SampleParams mala = SampleParams::mala(0.1f);
    refused([&] { sample_propose(cpu, x, g, SampleParams::mala(0.0f), 0, x); }, "params.step");
    refused([&] { sample_propose(cpu, x, x, mala, 0, x); }, "grad");
    Tensor wide({2, 3});
    refused([&] { sample_propose(cpu, x, g, mala, 0, wide); }, "proposal");
    refused([&] { sample_accept(cpu, x, e, g, px, pe, pg, SampleParams::ula(0.1f), 0, acc); }, "ULA");
    refused([&] { sample_accept(cpu, x, e, g, px, pe, pg, SampleParams::hmc(0.1f, 2), 0, acc); }, "momentum");
    refused([&] { sample_accept(cpu, x, e, g, px, pe, pg, mala, 0, acc, px, px); }, "momenta");
    Tensor bad_acc({2});
    refused([&] { sample_accept(cpu, x, e, g, px, pe, pg, mala, 0, bad_acc); }, "accepted");
    SampleParams with_mass = SampleParams::hmc(0.1f, 2);
    with_mass.mass = {1.0f, 1.0f};
    refused([&] { sample_momentum(cpu, x, with_mass, 0); }, "params.mass");
    const Tensor three({3});
    refused([&] { sample_momentum(cpu, x, SampleParams::hmc(0.1f, 2), 0, three); }, "mass");
}

}  // namespace
}  // namespace ebmkit
