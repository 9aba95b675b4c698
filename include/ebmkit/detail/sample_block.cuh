// The CUDA samplers' path for an energy with a block-cooperative form (ebmkit/energy.hpp):
// a block of block_threads threads per tile of E::block_rows chains, which evaluates the
// tile's energies and gradients together (E::block_evaluate, shared memory its own) while
// thread t carries chain t's row work (proposal, momentum, leapfrog, Metropolis test) by
// detail/sample_chain.hpp's chain_step_by, the same steps as a thread per chain takes.
// In its own header so that the block emulator (tests/) runs it on the host.
#pragma once

#include <cstdint>

#include "ebmkit/detail/sample_chain.hpp"
#include "ebmkit/steps.hpp"

namespace ebmkit::detail {

inline constexpr int block_threads = 256;

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

// This block's tile of x [rows, D] (blockIdx.x-th, E::block_rows chains); states [steps,
// rows, D] and energies [steps, rows] (both nullable) receive the trace; accepted (a
// device counter) is increased by the accepted proposals. shared: the energy's.
template <class E>
__device__ void sample_block_chains(const E& energy, float* x, float* scratch, std::int64_t rows, const ChainRule& rule,
                                    std::uint32_t first_chain, Steps steps, float* states, float* energies,
                                    unsigned long long* accepted, unsigned char* shared) {
    constexpr int tile_rows = E::block_rows;
    static_assert(tile_rows <= block_threads, "a block carries at most one chain per thread");
    const int d = energy.dim();
    const std::int64_t first = static_cast<std::int64_t>(blockIdx.x) * tile_rows;
    if (first >= rows) return;  // the whole block
    const int valid = rows - first < tile_rows ? static_cast<int>(rows - first) : tile_rows;
    const BlockScratch all = BlockScratch::of(scratch, rows, d);
    // The tile's planes, and thread t's rows in them.
    float* xs = x + first * d;
    float* grads = all.grad + first * d;
    float* proposals = all.proposal + first * d;
    float* proposal_grads = all.proposal_grad + first * d;
    float* es = all.energy + first;
    float* proposal_es = all.proposal_energy + first;
    const int t = static_cast<int>(threadIdx.x);
    const bool mine = t < valid;
    const int row = mine ? t : 0;
    const ChainRows c{xs + row * d, grads + row * d, proposals + row * d, proposal_grads + row * d,
                      all.momentum + (first + row) * d};
    auto evaluate = [&](bool at_proposal) {
        __syncthreads();  // every row written
        energy.block_evaluate(at_proposal ? proposals : xs, valid, at_proposal ? proposal_es : es,
                              at_proposal ? proposal_grads : grads, shared);
        __syncthreads();  // every energy and gradient written
        return at_proposal ? proposal_es[row] : es[row];
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

}  // namespace ebmkit::detail
