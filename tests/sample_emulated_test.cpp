// The CUDA body of the samplers for any energy (include/ebmkit/detail/sample_kernel.cuh)
// on host threads (tests/emulation/), over a launch of 128-thread blocks whose threads
// stride over more chains than the grid has threads, against the CPU backend bit for bit:
// every state, the trace and the accepted count, for ULA, MALA and HMC (with a mass).
#include "emulation/block_emulation.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "ebmkit/detail/sample_kernel.cuh"
#include "ebmkit/energies.hpp"
#include "ebmkit/sample.hpp"
#include "support.hpp"

namespace ebmkit {
namespace {

TEST(EmulatedSample, ChainsAreTheCpuChainsBitForBit) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    const GaussianMixtureEnergy mix = GaussianMixtureEnergy::from({0.4, 0.6}, {-1.0, 0.5, 1.0, -0.5}, {0.7, 0.9}, 2);
    const std::int64_t rows = 300;  // two blocks of 128 threads: some threads take two chains
    const Steps steps{5, 7};
    SampleParams hmc = SampleParams::hmc(0.3f, 4, 1.5f);
    hmc.mass = {1.0f, 3.0f};
    for (const SampleParams& p : {SampleParams::ula(0.2f), SampleParams::mala(0.4f, 0.5f), hmc}) {
        const Tensor start = test::uniform_tensor(rng, {rows, 2}, -2, 2);
        Tensor cpu_x = start.clone();
        Context cpu(Backend::Cpu, seed);
        const SampleStats want = sample(cpu, mix, cpu_x, p, steps, true);

        std::vector<float> x = start.to_vector<float>(), scratch(rows * detail::chain_scratch_floats(2), -9.0f);
        std::vector<float> states(steps.count * rows * 2, -9.0f), energies(steps.count * rows, -9.0f);
        unsigned long long accepted = 0;
        const detail::ChainRule rule = detail::chain_rule(cpu, p, p.mass.empty() ? nullptr : p.mass.data());
        const kernels::LaunchShape shape{2, 128};
        emulation::run_grid(shape, [&](unsigned char*) {
            detail::sample_chains(mix, x.data(), scratch.data(), rows, rule, p.first_chain, steps, states.data(),
                                  energies.data(), &accepted);
        });
        EXPECT_EQ(x, cpu_x.to_vector<float>());
        EXPECT_EQ(states, want.trace);
        EXPECT_EQ(static_cast<std::int64_t>(accepted), want.accepted);
        std::vector<double> means;
        for (std::uint32_t s = 0; s < steps.count; ++s) {
            double sum = 0;
            for (std::int64_t r = 0; r < rows; ++r) sum += energies[s * rows + r];
            means.push_back(sum / rows);
        }
        EXPECT_EQ(means, want.mean_energy);
        if (p.kind != SamplerKind::Ula) EXPECT_LT(want.accepted, want.proposals);
    }
}

}  // namespace
}  // namespace ebmkit
