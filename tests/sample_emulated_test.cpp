// The CUDA body of the samplers for any energy (include/ebmkit/detail/sample_kernel.cuh)
// on host threads (tests/emulation/), over a launch of 128-thread blocks whose threads
// stride over more chains than the grid has threads, against the CPU backend bit for bit:
// every state, the trace and the accepted count, for ULA, MALA and HMC (with a mass); and
// the block path of an energy with a block-cooperative form (the MLP's).
#include "emulation/block_emulation.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "ebmkit/detail/sample_block.cuh"
#include "ebmkit/detail/sample_kernel.cuh"
#include "host/cpu/sample_steps.hpp"
#include "kernels/langevin.cuh"
#include "kernels/langevin_chain.cuh"
#include "kernels/mlp_energy_view_block.cuh"
#include "kernels/sample_steps.cuh"
#include "kernels/sample_steps.hpp"
#include "ebmkit/energies.hpp"
#include "ebmkit/mlp_energy_view.hpp"
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

        std::vector<float> x = start.to_vector<float>(), scratch(rows * detail::chain_scratch_floats(mix), -9.0f);
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

// The MLP energy as an instance (ebmkit/mlp_energy_view.hpp): each chain's activations
// in its own scratch, HMC through the thread-per-chain body against the CPU backend.
TEST(EmulatedSample, AnMlpEnergysChainsAreTheCpuChainsBitForBit) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    const MlpEnergy model = test::random_mlp(rng, {5, 12, 7, 3}, Activation::elu());
    const MlpEnergyView view = MlpEnergyView::of(model, 1);
    const std::int64_t rows = 150;
    const Steps steps{2, 4};
    for (const SampleParams& p : {SampleParams::mala(0.05f), SampleParams::hmc(0.05f, 3)}) {
        const Tensor start = test::uniform_tensor(rng, {rows, 5}, -1, 1);
        Tensor cpu_x = start.clone();
        Context cpu(Backend::Cpu, seed);
        const SampleStats want = sample(cpu, view, cpu_x, p, steps);
        std::vector<float> x = start.to_vector<float>(), scratch(rows * detail::chain_scratch_floats(view), -9.0f);
        unsigned long long accepted = 0;
        const detail::ChainRule rule = detail::chain_rule(cpu, p, nullptr);
        emulation::run_grid(kernels::LaunchShape{1, 128}, [&](unsigned char*) {
            detail::sample_chains(view, x.data(), scratch.data(), rows, rule, p.first_chain, steps, nullptr, nullptr,
                                  &accepted);
        });
        EXPECT_EQ(x, cpu_x.to_vector<float>()) << to_string(p.kind);
        EXPECT_EQ(static_cast<std::int64_t>(accepted), want.accepted) << to_string(p.kind);
    }
}

// A user's energy with both forms: a block of it holds its tile's states in shared memory
// and evaluates its rows a thread each, with the row form's arithmetic, so the block path
// must give the CPU chains bit for bit.
struct TwoForms {
    GaussianMixtureEnergy mix;
    static constexpr int block_rows = 5;  // not a divisor of the chains: the last tile is partial
    EBMKIT_HOST_DEVICE int dim() const { return mix.dim(); }
    EBMKIT_HOST_DEVICE float operator()(const float* x, float* grad) const { return mix(x, grad); }
    std::size_t block_shared_bytes() const { return block_rows * 2 * sizeof(float); }
    void block_load(const BlockTile& tile, const float* x, unsigned char* shared) const {
        auto* xs = reinterpret_cast<float*>(shared);
        for (int i = static_cast<int>(threadIdx.x); i < tile.valid * dim(); i += static_cast<int>(blockDim.x)) xs[i] = x[i];
    }
    template <class OnEnergy, class OnGrad>
    void block_evaluate(const BlockTile& tile, unsigned char* shared, bool gradient, OnEnergy on_energy,
                        OnGrad on_grad) const {
        auto* xs = reinterpret_cast<float*>(shared);
        const int d = dim();
        for (int r = static_cast<int>(threadIdx.x); r < tile.valid; r += static_cast<int>(blockDim.x)) {
            float g[4] = {};
            on_energy(r, mix(xs + r * d, g));
            if (gradient) on_grad(r, 0, g, xs + r * d);
        }
    }
    void block_store(const BlockTile& tile, float* x, unsigned char* shared) const {
        const auto* xs = reinterpret_cast<const float*>(shared);
        for (int i = static_cast<int>(threadIdx.x); i < tile.valid * dim(); i += static_cast<int>(blockDim.x)) x[i] = xs[i];
    }
};

TEST(EmulatedSample, AUsersBlockFormIsTheCpuChainsBitForBit) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    static_assert(energy_has_block_form<TwoForms>::value && is_energy_v<TwoForms>);
    const TwoForms energy{GaussianMixtureEnergy::from({0.4, 0.6}, {-1.0, 0.5, 1.0, -0.5}, {0.7, 0.9}, 2)};
    const std::int64_t rows = 23;
    const Steps steps{4, 6};
    for (const SampleParams& p : {SampleParams::ula(0.2f), SampleParams::mala(0.4f), SampleParams::hmc(0.3f, 4)}) {
        const Tensor start = test::uniform_tensor(rng, {rows, 2}, -2, 2);
        Tensor cpu_x = start.clone();
        Context cpu(Backend::Cpu, seed);
        const SampleStats want = sample(cpu, energy, cpu_x, p, steps, true);
        std::vector<float> x = start.to_vector<float>(), scratch(detail::BlockScratch::floats(rows, 2), -9.0f);
        std::vector<float> states(steps.count * rows * 2, -9.0f), energies(steps.count * rows, -9.0f);
        unsigned long long accepted = 0;
        const detail::ChainRule rule = detail::chain_rule(cpu, p, nullptr);
        const kernels::LaunchShape shape{5, detail::block_threads, static_cast<int>(energy.block_shared_bytes())};
        emulation::run_grid(shape, [&](unsigned char* smem) {
            detail::sample_block_chains(energy, x.data(), scratch.data(), rows, rule, p.first_chain, steps,
                                        states.data(), energies.data(), &accepted, smem);
        });
        EXPECT_EQ(x, cpu_x.to_vector<float>()) << to_string(p.kind);
        EXPECT_EQ(states, want.trace) << to_string(p.kind);
        EXPECT_EQ(static_cast<std::int64_t>(accepted), want.accepted) << to_string(p.kind);
    }
}

// MlpEnergyView's block-cooperative form (kernels/mlp_energy_view_block.cuh) on the block
// path (detail/sample_block.cuh), a block per 16 chains, the last tile partial: ULA is the
// fused Langevin chain kernel's body bit for bit (both are ula_block_chains on the MLP's
// TileEnergy: this holds the view's tile, laid out on the device from its values, to the
// launcher's plan, and sample()'s keys to LangevinSampler's); MALA and HMC follow the CPU backend's per-row chains (the same keys
// and tests on energies summed in another order: a row may part at a test within rounding).
TEST(EmulatedSample, AnMlpEnergysBlockFormIsTheFusedChainAndFollowsTheCpu) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    const MlpEnergy model = test::random_mlp(rng, {20, 32, 16, 4}, Activation::elu());
    const MlpEnergyView view = MlpEnergyView::of(model);
    const std::int64_t rows = 21, d = 20;
    const int bytes = kernels::mlp_block::plan(detail::layers_of(view), 16, Precision::Fp32, true).bytes;
    const kernels::LaunchShape shape{2, detail::block_threads, bytes};
    Context cpu(Backend::Cpu, seed);
    auto by_block = [&](const SampleParams& p, Steps steps, std::vector<float> x, std::int64_t& accepted) {
        std::vector<float> scratch(detail::BlockScratch::floats(rows, d), -9.0f);
        const detail::ChainRule rule = detail::chain_rule(cpu, p, nullptr);
        unsigned long long count = 0;
        emulation::run_grid(shape, [&](unsigned char* smem) {
            detail::sample_block_chains(view, x.data(), scratch.data(), rows, rule, p.first_chain, steps, nullptr,
                                        nullptr, &count, smem);
        });
        accepted = static_cast<std::int64_t>(count);
        return x;
    };
    const Tensor start = test::uniform_tensor(rng, {rows, d}, -1, 1);
    const Steps steps{3, 3};
    std::int64_t accepted = 0;
    SampleParams ula = SampleParams::ula(0.01f);
    ula.first_chain = 9;
    const std::vector<float> block_ula = by_block(ula, steps, start.to_vector<float>(), accepted);
    EXPECT_EQ(accepted, rows * steps.count);
    // The fused chain's body on the same chains.
    namespace chain = kernels::langevin_chain_body;
    const kernels::mlp_block::Tile t =
        kernels::mlp_block::plan(detail::layers_of(view), 16, Precision::Fp32, true);
    Tensor fused = start.clone();
    const detail::UlaChains c{fused.data<float>(), rows,
                              kernels::LangevinStep{0.01f, ula.sigma(), false, 0.0f, 0.0f, seed, 9, steps.first},
                              steps.count};
    emulation::run_grid(kernels::row_tiles(rows, 16, kernels::block::threads, t.bytes, "test"), [&](unsigned char* smem) {
        chain::langevin_chain_tile<16, Precision::Fp32>(t, nullptr, c, smem);
    });
    EXPECT_EQ(block_ula, fused.to_vector<float>());
    for (const SampleParams& p : {SampleParams::mala(0.02f), SampleParams::hmc(0.05f, 3)}) {
        const std::vector<float> x = by_block(p, steps, start.to_vector<float>(), accepted);
        Tensor want = start.clone();
        const SampleStats s = sample(cpu, view, want, p, steps);
        int differ = 0;
        for (std::int64_t r = 0; r < rows; ++r) {
            bool same = true;
            for (std::int64_t i = 0; i < d; ++i) {
                const float w = want.data<float>()[r * d + i];
                same &= std::abs(x[r * d + i] - w) <= 1e-4f * (1 + std::abs(w));
            }
            differ += !same;
        }
        EXPECT_LE(differ, 1) << to_string(p.kind);
        EXPECT_NEAR(accepted, s.accepted, 1) << to_string(p.kind);
        EXPECT_GT(s.accepted, 0) << to_string(p.kind);
    }
}

// The step kernels over their launch shapes against the CPU twin, bit for bit: proposals
// (the Langevin chains' kernel body, kernels/langevin.cuh, without a box), momenta with a
// mass (kernels/sample_steps.cuh), and MALA's and HMC's tests on proposals that some rows
// accept and others reject.
TEST(EmulatedSampleSteps, KernelsAreTheCpuTwinBitForBit) {
    auto rng = test::fresh_rng();
    const std::int64_t rows = 300;
    const int d = 3;
    const std::vector<float> mass = {1.0f, 2.0f, 0.5f};
    auto values = [&](std::size_t n, float lo, float hi) { return test::uniform_values(rng, n, lo, hi); };
    const std::vector<float> x0 = values(rows * d, -1, 1), g0 = values(rows * d, -1, 1), px = values(rows * d, -1, 1),
                             pg = values(rows * d, -1, 1), e0 = values(rows, 0, 2), pe = values(rows, 0, 2),
                             m0 = values(rows * d, -1, 1), m1 = values(rows * d, -1, 1);
    const kernels::LaunchShape shape = kernels::sample_steps_shape(rows, emulation::h100);
    namespace body = kernels::sample_steps_body;
    for (SamplerKind kind : {SamplerKind::Ula, SamplerKind::Mala, SamplerKind::Hmc}) {
        const detail::ChainRule r{kind, 0.3f, 1.2f, std::sqrt(2 * 0.3f * 1.2f), 4, mass.data(), rng()};
        std::vector<float> a(rows * d, -9.0f), b(rows * d, -7.0f);
        const kernels::LangevinStep s{r.step, r.sigma, false, 0.0f, 0.0f, r.seed, 5, 11};
        emulation::run_grid(kernels::langevin_propose_shape(rows, d), [&](unsigned char*) {
            kernels::langevin_body::propose(x0.data(), g0.data(), rows, d, s, a.data(), nullptr, nullptr);
        });
        cpu::sample_propose(x0.data(), g0.data(), rows, d, r, 5, 11, b.data());
        EXPECT_EQ(a, b);
        emulation::run_grid(shape, [&](unsigned char*) { body::momentum(a.data(), rows, d, r, 5, 11); });
        cpu::sample_momentum(b.data(), rows, d, r, 5, 11);
        EXPECT_EQ(a, b);
        if (kind == SamplerKind::Ula) continue;
        std::vector<float> xa = x0, xb = x0, ea = e0, eb = e0, ga = g0, gb = g0;
        std::vector<std::int32_t> acc_a(rows, 9), acc_b(rows, 9);
        const detail::StepAccept sa{xa.data(), ea.data(), ga.data(), px.data(), pe.data(), pg.data(), m0.data(), m1.data(),
                                    acc_a.data(), rows, d};
        detail::StepAccept sb = sa;
        sb.x = xb.data(), sb.energy = eb.data(), sb.grad = gb.data(), sb.accepted = acc_b.data();
        emulation::run_grid(shape, [&](unsigned char*) { body::accept(sa, r, 5, 11); });
        cpu::sample_accept(sb, r, 5, 11);
        EXPECT_EQ(xa, xb);
        EXPECT_EQ(ea, eb);
        EXPECT_EQ(ga, gb);
        EXPECT_EQ(acc_a, acc_b);
        int taken = 0;
        for (std::int32_t v : acc_a) taken += v;
        EXPECT_GT(taken, 0);
        EXPECT_LT(taken, rows);
    }
}

}  // namespace
}  // namespace ebmkit
