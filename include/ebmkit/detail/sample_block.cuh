// The CUDA chains' path for an energy with a block-cooperative form (ebmkit/energy.hpp):
// a block of block_threads threads per tile of E::block_rows chains, whose energies and
// gradients the energy evaluates together with its shared memory.
//   ULA: the tile's states stay in the energy's shared memory for all steps, and each
//        gradient quad is turned into the update as the energy hands it over
//        (detail/ula_chain.hpp): the samplers for any energy, and LangevinSampler's fused
//        chain on an MLP (kernels/langevin_chain.cuh), whose tile is an energy of this form.
//   MALA, HMC: thread t carries chain t's row work (proposal, momentum, leapfrog,
//        Metropolis test) by detail/sample_chain.hpp's chain_step_by, the same steps as a
//        thread per chain takes; the energy evaluates the rows it is handed.
// In its own header so that the block emulator (tests/) runs it on the host.
#pragma once

#include <cstdint>

#include "ebmkit/detail/sample_chain.hpp"
#include "ebmkit/detail/ula_chain.hpp"
#include "ebmkit/steps.hpp"

namespace ebmkit::detail {

inline constexpr int block_threads = 256;

// The unadjusted chains of tile `index` of c: loaded once, c.steps steps in the energy's
// shared memory, stored once; with c.trace (and c.states) the energies (and states) after
// each step, which takes one more evaluation at the end. Returns the tile's chains.
template <class E>
__device__ int ula_block_chains(const E& energy, const UlaChains& c, std::int64_t index, unsigned char* shared) {
    const BlockTile tile = block_tile(index, E::block_rows, c.rows);
    if (tile.valid <= 0) return 0;  // the whole block
    const int d = energy.dim();
    energy.block_load(tile, c.x + tile.first * d, shared);
    __syncthreads();
    const std::uint32_t key0 = first_key(c);
    const bool traced = c.trace || c.states;
    Schedule schedule(c);
    for (std::uint32_t n = 0; n <= c.steps; ++n) {
        if (n == c.steps && !traced) break;
        if (n > 0 && c.states) {
            energy.block_store(tile, c.states + (static_cast<std::int64_t>(n - 1) * c.rows + tile.first) * d, shared);
            __syncthreads();
        }
        schedule.before(n);
        const std::uint32_t key = key0 + n;
        auto on_energy = [&](int r, float e) {
            if (n > 0 && c.trace) c.trace[static_cast<std::int64_t>(n - 1) * c.rows + tile.first + r] = e;
        };
        auto on_grad = [&](int r, int col, const float* g, float* x4) {
            ula_quad(c, schedule, c.step.first_chain + static_cast<std::uint32_t>(tile.first + r), key, col, d, g, x4);
        };
        energy.block_evaluate(tile, shared, n < c.steps, on_energy, on_grad);
        __syncthreads();  // every update made
        schedule.after();
    }
    energy.block_store(tile, c.x + tile.first * d, shared);
    return tile.valid;
}

// The scratch of `rows` chains of dimension d, in planes so that a tile's rows are
// contiguous: gradients, proposals, proposals' gradients, momenta [rows, d] each, then
// energies and proposals' energies [rows] each.
struct BlockScratch {
    float *grad, *proposal, *proposal_grad, *momentum, *energy, *proposal_energy;
    EBMKIT_HOST_DEVICE static std::int64_t floats(std::int64_t rows, std::int64_t d) { return rows * (4 * d + 2); }
    EBMKIT_HOST_DEVICE static BlockScratch of(float* s, std::int64_t rows, std::int64_t d) {
        const std::int64_t plane = rows * d;
        return {s, s + plane, s + 2 * plane, s + 3 * plane, s + 4 * plane, s + 4 * plane + rows};
    }
};

// MALA or HMC on this block's tile of x [rows, D] (blockIdx.x-th, E::block_rows chains);
// states [steps, rows, D] and energies [steps, rows] (both nullable) receive the trace;
// accepted (a device counter) is increased by the accepted proposals. shared: the energy's.
template <class E>
__device__ void metropolis_block_chains(const E& energy, float* x, float* scratch, std::int64_t rows,
                                        const ChainRule& rule, std::uint32_t first_chain, Steps steps, float* states,
                                        float* energies, unsigned long long* accepted, unsigned char* shared) {
    static_assert(E::block_rows <= block_threads, "a block carries at most one chain per thread");
    const BlockTile tile = block_tile(blockIdx.x, E::block_rows, rows);
    if (tile.valid <= 0) return;  // the whole block
    const int d = energy.dim();
    const std::int64_t first = tile.first;
    const BlockScratch all = BlockScratch::of(scratch, rows, d);
    // The tile's planes, and thread t's rows in them.
    float* xs = x + first * d;
    float* grads = all.grad + first * d;
    float* proposals = all.proposal + first * d;
    float* proposal_grads = all.proposal_grad + first * d;
    float* es = all.energy + first;
    float* proposal_es = all.proposal_energy + first;
    const int t = static_cast<int>(threadIdx.x);
    const bool mine = t < tile.valid;
    const int row = mine ? t : 0;
    const ChainRows c{xs + row * d, grads + row * d, proposals + row * d, proposal_grads + row * d,
                      all.momentum + (first + row) * d};
    auto evaluate = [&](bool at_proposal) {
        float* energy_out = at_proposal ? proposal_es : es;
        float* grad_out = at_proposal ? proposal_grads : grads;
        __syncthreads();  // every row written
        energy.block_load(tile, at_proposal ? proposals : xs, shared);
        __syncthreads();
        energy.block_evaluate(
            tile, shared, true, [&](int r, float e) { energy_out[r] = e; },
            [&](int r, int col, const float* g, float*) {
                for (int j = 0; j < 4 && col + j < d; ++j) grad_out[static_cast<std::int64_t>(r) * d + col + j] = g[j];
            });
        __syncthreads();  // every energy and gradient written
        return energy_out[row];
    };
    float e = evaluate(false);
    const std::uint32_t chain = first_chain + static_cast<std::uint32_t>(first + row);
    unsigned long long count = 0;
    for (std::uint32_t s = 0; s < steps.count; ++s) {
        count += chain_step_by(evaluate, mine, d, c, e, rule, chain, steps.first + s);
        if (states && mine) {
            const std::int64_t r = first + row;
            for (int i = 0; i < d; ++i) states[(static_cast<std::int64_t>(s) * rows + r) * d + i] = c.x[i];
            energies[static_cast<std::int64_t>(s) * rows + r] = e;
        }
    }
    if (count) atomicAdd(accepted, count);
}

// Any sampler on this block's tile (the arguments of metropolis_block_chains): ULA by
// ula_block_chains, every proposal accepted.
template <class E>
__device__ void sample_block_chains(const E& energy, float* x, float* scratch, std::int64_t rows, const ChainRule& rule,
                                    std::uint32_t first_chain, Steps steps, float* states, float* energies,
                                    unsigned long long* accepted, unsigned char* shared) {
    if (rule.kind != SamplerKind::Ula) {
        metropolis_block_chains(energy, x, scratch, rows, rule, first_chain, steps, states, energies, accepted, shared);
        return;
    }
    const kernels::LangevinStep step{rule.step, rule.sigma, false, 0.0f, 0.0f, rule.seed, first_chain, steps.first};
    const UlaChains c{x, rows, step, steps.count, energies, nullptr, nullptr, 0, states};
    const int chains = ula_block_chains(energy, c, blockIdx.x, shared);
    if (threadIdx.x == 0 && chains > 0) atomicAdd(accepted, static_cast<unsigned long long>(chains) * steps.count);
}

}  // namespace ebmkit::detail
