// The body of the fused Langevin chain kernel (kernels/langevin_chain.cu), one block's
// tile of chains, in a header so that tests/emulated_block_test.cpp can run it on the host.
#pragma once

#include "kernels/langevin.hpp"
#include "kernels/langevin_chain.hpp"
#include "ebmkit/detail/langevin_rule.hpp"
#include "kernels/mlp_block.cuh"
#include "kernels/philox_device.cuh"

namespace ebmkit::kernels::langevin_chain_body {

using mlp_block::Tile;

struct Chains {
    float* x;
    std::int64_t rows;
    const std::int32_t* labels;  // nullable
    LangevinStep step;           // step.step is the first step's key
    std::uint32_t steps;
    float* trace;  // nullable: [steps, rows] energies after each step
    const std::uint32_t* step_offset;  // nullable: a device counter added to every step's key
    const ChainSegment* segments = nullptr;  // nullable: a schedule of (alpha, sigma, steps), step's replaced
    int segment_count = 0;
};

// This block's tile of chains (a block's, or a cluster's: mlp_block::Split); smem is the
// plan's dynamic shared memory (with x). Each block of a cluster updates its share of
// x's columns and shares them; the energies and x are written out once.
template <int ROWS, Precision P>
__device__ void langevin_chain_tile(const Tile& t, const Chains& c, float* smem) {
    const mlp_block::Split split = mlp_block::this_split();
    const mlp_block::Rows rows = mlp_block::block_rows(ROWS, c.rows, split);
    const int d = t.widths[0], ld = t.ld[0];
    float* xs = smem + t.offset[0];
    float* x = c.x + rows.first * d;
    for (int e = threadIdx.x; e < ROWS * d; e += block::threads) {
        const int r = e / d, k = e % d;
        xs[r * ld + k] = r < rows.valid ? x[static_cast<std::int64_t>(r) * d + k] : 0.0f;
    }
    mlp_block::tile_loaded(split);
    const LangevinStep& s = c.step;
    const std::uint32_t first_key = s.step + (c.step_offset ? *c.step_offset : 0u);
    auto x_at = [&](int r, int k) { return xs[r * ld + k]; };
    auto no_hidden = [](int, int, int, const float*) {};
    auto no_delta = [](int, int, int, const float*) {};
    const std::int32_t* labels = c.labels ? c.labels + rows.first : nullptr;
    // The schedule's segment (every thread reads the same values, so all take the same branch).
    int segment = -1;
    std::uint32_t left = c.segments ? 0u : c.steps;
    float alpha = s.alpha, sigma = s.sigma;
    for (std::uint32_t n = 0; n <= c.steps; ++n) {
        if (n == c.steps && !c.trace) break;
        while (n < c.steps && left == 0 && segment + 1 < c.segment_count) {
            ++segment;
            left = c.segments[segment].steps;
            alpha = c.segments[segment].alpha;
            sigma = c.segments[segment].sigma;
        }
        mlp_block::forward<ROWS, P>(t, split, smem, x_at, no_hidden);
        auto on_energy = [&](int r, float e) {
            if (n > 0 && c.trace && split.rank == 0) c.trace[static_cast<std::int64_t>(n - 1) * c.rows + rows.first + r] = e;
        };
        mlp_block::tile_energy_head<ROWS>(t, smem, labels, rows.valid, n < c.steps, on_energy);
        if (n == c.steps) break;
        const std::uint32_t key = first_key + n;
        auto update = [&](int r, int col, const float* g) {
            if (r >= rows.valid) return;
            float eps[4];
            normal4(philox_block(s.seed, RngPurpose::LangevinNoise,
                                 s.first_chain + static_cast<std::uint32_t>(rows.first + r), key,
                                 static_cast<std::uint32_t>(col / 4)),
                    eps);
#pragma unroll
            for (int j = 0; j < 4; ++j) {
                if (col + j >= d) break;
                const float v = langevin_proposal(xs[r * ld + col + j], g[j], alpha, sigma, eps[j]);
                xs[r * ld + col + j] = s.clamp ? clamp_to_box(v, s.lo, s.hi) : v;  // no MALA here: no rejection
                split.share(&xs[r * ld + col + j], xs[r * ld + col + j]);
            }
        };
        mlp_block::backward<ROWS, P>(t, split, smem, no_delta, true, update);
        --left;
    }
    for (int e = threadIdx.x; e < rows.valid * d; e += block::threads) {
        if (split.owns(e % d)) x[e] = xs[e / d * ld + e % d];
    }
}

}  // namespace ebmkit::kernels::langevin_chain_body
