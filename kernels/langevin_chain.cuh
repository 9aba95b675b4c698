// The bodies of the fused Langevin chain kernel (kernels/langevin_chain.cu): one block's
// (or cluster's) tile of chains, and the grid plan's every chain shared by the whole grid;
// in a header so that tests/emulated_block_test.cpp can run them on the host.
#pragma once

#include "kernels/langevin.hpp"
#include "kernels/langevin_chain.hpp"
#include "ebmkit/detail/langevin_rule.hpp"
#include "kernels/mlp_block.cuh"
#include "kernels/mlp_grid.cuh"
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

// The step size and noise of each step, as the schedule (Chains::segments) sets them, else
// the chain's own. Every thread reads the same values, so all take the same branches.
struct Schedule {
    const Chains& c;
    int segment = -1;
    std::uint32_t left;  // steps left in this segment
    float alpha, sigma;
    __device__ explicit Schedule(const Chains& chains)
        : c(chains), left(chains.segments ? 0u : chains.steps), alpha(chains.step.alpha), sigma(chains.step.sigma) {}
    // Before step n: into the next segment where this one is spent.
    __device__ void before(std::uint32_t n) {
        while (n < c.steps && left == 0 && segment + 1 < c.segment_count) {
            ++segment;
            left = c.segments[segment].steps;
            alpha = c.segments[segment].alpha;
            sigma = c.segments[segment].sigma;
        }
    }
    __device__ void after() { --left; }
};

// One coordinate's step from x with gradient g and noise eps, clamped where the chain has a box.
__device__ inline float stepped(const LangevinStep& s, float alpha, float sigma, float x, float g, float eps) {
    const float v = langevin_proposal(x, g, alpha, sigma, eps);
    return s.clamp ? clamp_to_box(v, s.lo, s.hi) : v;  // no MALA here: no rejection
}

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
    Schedule schedule(c);
    for (std::uint32_t n = 0; n <= c.steps; ++n) {
        if (n == c.steps && !c.trace) break;
        schedule.before(n);
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
                float& v = xs[r * ld + col + j];
                v = stepped(s, schedule.alpha, schedule.sigma, v, g[j], eps[j]);
                split.share(&v, v);
            }
        };
        mlp_block::backward<ROWS, P>(t, split, smem, no_delta, true, update);
        schedule.after();
    }
    for (int e = threadIdx.x; e < rows.valid * d; e += block::threads) {
        if (split.owns(e % d)) x[e] = xs[e / d * ld + e % d];
    }
}

// Every chain, shared by the grid of a cooperative launch (mlp_grid: the grid plan):
// t laid out by mlp_grid::layout for c.rows rows, work its workspace (the partial sums
// at mlp_grid::Workspace::activations), staging the block's GEMM staging. x is updated in
// place in global memory; the draws are the tile body's.
template <Precision P>
__device__ void langevin_chain_grid(const Tile& t, const Chains& c, float* work, long long partials,
                                    unsigned char* staging) {
    const int d = t.widths[0];
    const mlp_grid::Rows g{c.rows, static_cast<int>((c.rows + mlp_grid::tile_rows - 1) / mlp_grid::tile_rows),
                           work + partials};
    const LangevinStep& s = c.step;
    const std::uint32_t first_key = s.step + (c.step_offset ? *c.step_offset : 0u);
    auto x_at = [&](std::int64_t r, int k) { return r < c.rows ? c.x[r * d + k] : 0.0f; };
    Schedule schedule(c);
    for (std::uint32_t n = 0; n <= c.steps; ++n) {
        if (n == c.steps && !c.trace) break;
        schedule.before(n);
        mlp_grid::forward<P>(t, g, work, staging, x_at);
        auto on_energy = [&](std::int64_t r, float e) {
            if (n > 0 && c.trace) c.trace[static_cast<std::int64_t>(n - 1) * c.rows + r] = e;
        };
        mlp_grid::energy_head(t, g, work, c.labels, n < c.steps, on_energy);
        if (n == c.steps) break;
        const std::uint32_t key = first_key + n;
        auto update = [&](std::int64_t r, int col, const float* grad) {
            float eps[4];
            normal4(philox_block(s.seed, RngPurpose::LangevinNoise, s.first_chain + static_cast<std::uint32_t>(r), key,
                                 static_cast<std::uint32_t>(col / 4)),
                    eps);
            for (int j = 0; j < 4 && col + j < d; ++j) {
                float& v = c.x[r * d + col + j];
                v = stepped(s, schedule.alpha, schedule.sigma, v, grad[j], eps[j]);
            }
        };
        mlp_grid::backward<P>(t, g, work, staging, update);
        schedule.after();
    }
}

}  // namespace ebmkit::kernels::langevin_chain_body
