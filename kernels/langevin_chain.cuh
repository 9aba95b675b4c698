// The bodies of the fused Langevin chain kernel (kernels/langevin_chain.cu): one block's
// (or cluster's) tile of chains, and the grid plan's every chain shared by the whole grid;
// in a header so that tests/emulated_block_test.cpp can run them on the host. Both are
// the unadjusted chain of detail/ula_chain.hpp on the MLP energy: the tile body is the
// samplers' block path (detail/sample_block.cuh) on the tile as the energy's block form
// (mlp_block::TileEnergy), the grid body the same update in the grid plan's epilogue.
#pragma once

#include "ebmkit/detail/sample_block.cuh"
#include "ebmkit/detail/ula_chain.hpp"
#include "kernels/langevin.hpp"
#include "kernels/langevin_chain.hpp"
#include "kernels/mlp_block.cuh"
#include "kernels/mlp_grid.cuh"

namespace ebmkit::kernels::langevin_chain_body {

using detail::UlaChains;
using mlp_block::Tile;

// This block's tile of chains (a block's, or a cluster's: mlp_block::Split, every block
// of a cluster on the same tile); smem is the plan's dynamic shared memory (with x);
// labels (nullable) row r's class.
template <int ROWS, Precision P>
__device__ void langevin_chain_tile(const Tile& t, const std::int32_t* labels, const UlaChains& c,
                                    unsigned char* smem) {
    const mlp_block::Split split = mlp_block::this_split();
    detail::ula_block_chains(mlp_block::TileEnergy<ROWS, P>{t, labels}, c, blockIdx.x / split.size, smem);
}

// Every chain, shared by the grid of a cooperative launch (mlp_grid: the grid plan):
// t laid out by mlp_grid::layout for c.rows rows, work its workspace (the partial sums
// at mlp_grid::Workspace::activations), staging the block's GEMM staging. x is updated in
// place in global memory; the draws are the tile body's. (No states trace: c.states is
// the samplers' and LangevinSampler traces energies only.)
template <Precision P>
__device__ void langevin_chain_grid(const Tile& t, const std::int32_t* labels, const UlaChains& c, float* work,
                                    long long partials, unsigned char* staging) {
    const int d = t.widths[0];
    const mlp_grid::Rows g{c.rows, static_cast<int>((c.rows + mlp_grid::tile_rows - 1) / mlp_grid::tile_rows),
                           work + partials};
    const std::uint32_t key0 = detail::first_key(c);
    auto x_at = [&](std::int64_t r, int k) { return r < c.rows ? c.x[r * d + k] : 0.0f; };
    detail::Schedule schedule(c);
    for (std::uint32_t n = 0; n <= c.steps; ++n) {
        if (n == c.steps && !c.trace) break;
        schedule.before(n);
        mlp_grid::forward<P>(t, g, work, staging, x_at);
        auto on_energy = [&](std::int64_t r, float e) {
            if (n > 0 && c.trace) c.trace[static_cast<std::int64_t>(n - 1) * c.rows + r] = e;
        };
        mlp_grid::energy_head(t, g, work, labels, n < c.steps, on_energy);
        if (n == c.steps) break;
        const std::uint32_t key = key0 + n;
        auto update = [&](std::int64_t r, int col, const float* grad) {
            detail::ula_quad(c, schedule, c.step.first_chain + static_cast<std::uint32_t>(r), key, col, d, grad,
                             c.x + r * d + col);
        };
        mlp_grid::backward<P>(t, g, work, staging, update);
        schedule.after();
    }
}

}  // namespace ebmkit::kernels::langevin_chain_body
