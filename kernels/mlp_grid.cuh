// An MLP's products shared by every block of a cooperative launch: the grid plan of the
// fused Langevin chain (TilePlan::Grid, kernels/launch_shape.hpp's grid_launch), for a
// batch too small to give every multiprocessor a tile of its own (64 chains are 4 tiles
// of 16; clusters of 8 put them on 32 blocks of an H100's 132).
//
// The activations live in a global workspace, laid out as mlp_block::Tile lays out shared
// memory, for every row (padded to whole 16-row tiles). A product C [rows, cols] = A B
// over `inner` is cut into items (16-row tile, 64-column tile, inner slice), enough
// slices that there are about as many items as blocks; block b takes items b, b + grid,
// ... and runs the block GEMM (kernels/block_gemm.cuh) on its slice. With one slice the
// GEMM's epilogue finishes each element; with several, each item writes its partial sums,
// a grid barrier, then the elements are finished from their slices summed in slice order
// (a fixed order: the same bits on every run with the same grid), and a grid barrier ends
// the product. Weights stream from L2 as on chip; an element's sum is split across
// blocks, so its rounding differs from the row-tile plan's.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "kernels/block_gemm.cuh"
#include "kernels/grid_barrier.cuh"
#include "kernels/grid_stride.cuh"
#include "kernels/mlp_block.cuh"

namespace ebmkit::kernels::mlp_grid {

constexpr int tile_rows = 16;

// How a product's inner dimension is cut: `slices` slices of `width` (a whole number of
// the GEMM's 32-wide inner steps; the last may be shorter), enough that row_tiles x
// column tiles x slices items reach `blocks`, and no slice shorter than one inner step.
struct Slicing {
    int slices;
    int width;
};

EBMKIT_HOST_DEVICE Slicing slicing(int row_tiles, int cols, int inner, int blocks) {
    const int items = row_tiles * ((cols + block::tile_cols - 1) / block::tile_cols);
    const int steps = (inner + block::tile_inner - 1) / block::tile_inner;
    int wanted = (blocks + items - 1) / items;
    wanted = wanted < 1 ? 1 : (wanted > steps ? steps : wanted);
    const int width = (steps + wanted - 1) / wanted * block::tile_inner;
    return {(inner + width - 1) / width, width};
}

// The fused Langevin chain's plan for `rows` chains: the on-chip plan (row tiles or
// clusters, mlp_block::tile_launch) or the grid plan in its place (kernels::grid_launch)
// for a model of at most max_layers layers.
inline TileLaunch chain_launch(const MlpLayers& mlp, std::int64_t rows, const DeviceLimits& limits, TilePlan wanted) {
    const TileLaunch on_chip = mlp_block::tile_launch(mlp, rows, true, limits, wanted, "langevin fused chain");
    if (!tile_holds(mlp)) return on_chip;
    return grid_launch(on_chip, wanted, block::threads, block::staging_bytes(mlp.precision, tile_rows), limits);
}

// The workspace of a grid chain: the activations (buffers 1 .. L laid out as a tile of
// every row; x stays the caller's) and, after them, the partial sums of the most sliced
// product of a step (the forward products and the backward ones down to the input gradient).
struct Workspace {
    long long activations = 0;  // floats
    long long partials = 0;     // floats
    long long floats() const { return activations + partials; }
};

// The grid plan's tile of mlp (its buffers laid out for every one of `rows` rows) and its
// workspace, on a grid of `blocks` blocks.
struct Layout {
    mlp_block::Tile tile;
    Workspace workspace;
};

inline Layout layout(const MlpLayers& mlp, std::int64_t rows, int blocks) {
    Layout out{};
    mlp_block::Tile& t = out.tile;
    static_cast<TileModel&>(t) = tile_model(mlp);
    const int row_tiles = static_cast<int>((rows + tile_rows - 1) / tile_rows);
    Workspace& w = out.workspace;
    w.activations = mlp_block::lay_out(t, row_tiles * tile_rows, false);
    for (int l = 0; l < t.layers; ++l) {
        const int widths[2][2] = {{t.widths[l + 1], t.widths[l]}, {t.widths[l], t.widths[l + 1]}};  // cols, inner
        for (const auto& product : widths) {
            const Slicing s = slicing(row_tiles, product[0], product[1], blocks);
            if (s.slices > 1) w.partials = std::max(w.partials, static_cast<long long>(s.slices) * rows * product[0]);
        }
    }
    return out;
}

// The rows of a grid product: `rows` real ones in row_tiles tiles; partials as Workspace.
struct Rows {
    std::int64_t rows;
    int row_tiles;
    float* partials;
};

// C = A B shared by the grid: a_at(r, k) gives A for row r < rows (0 past them), w as
// block::gemm's (FORWARD: [cols, inner], else [inner, cols]); finish(r, c, v) receives the
// sums of elements (r, c .. c+3) of each real row once, c a multiple of 4, by some thread
// of some block, as the GEMM's epilogue does (columns from cols on included: the callee
// checks; so one Philox block serves one call). The grid
// has passed a barrier since A's source was written; on return it has passed one since
// every finish. staging: the block's Staging<16, P>::bytes of shared memory.
template <Precision P, bool FORWARD, class ALoad, class Finish>
__device__ void product(const Rows& g, unsigned char* staging, const float* w, int cols, int inner, ALoad a_at,
                        Finish finish) {
    const int ld_w = FORWARD ? inner : cols;
    const Slicing s = slicing(g.row_tiles, cols, inner, static_cast<int>(gridDim.x));
    const int column_tiles = (cols + block::tile_cols - 1) / block::tile_cols;
    const int items = g.row_tiles * column_tiles * s.slices;
    for (int i = static_cast<int>(blockIdx.x); i < items; i += static_cast<int>(gridDim.x)) {
        const int slice = i % s.slices, c0 = i / s.slices % column_tiles * block::tile_cols;
        const std::int64_t r0 = static_cast<std::int64_t>(i / s.slices / column_tiles) * tile_rows;
        const int k0 = slice * s.width, width = inner - k0 < s.width ? inner - k0 : s.width;
        auto a_slice = [&](int r, int k) { return a_at(r0 + r, k0 + k); };
        auto epilogue = [&](int r, int c, const float* v) {
            const std::int64_t row = r0 + r;
            if (row >= g.rows) return;
            if (s.slices == 1) return finish(row, c, v);
            for (int j = 0; j < 4 && c + j < cols; ++j) g.partials[(slice * g.rows + row) * cols + c + j] = v[j];
        };
        const float* w_slice = FORWARD ? w + k0 : w + static_cast<std::int64_t>(k0) * ld_w;
        block::gemm<tile_rows, P, FORWARD>(staging, w_slice, ld_w, c0,
                                           c0 + block::tile_cols < cols ? c0 + block::tile_cols : cols, width,
                                           a_slice, epilogue);
    }
    grid::sync();
    if (s.slices == 1) return;
    const std::int64_t plane = g.rows * cols;  // a slice's partial sums
    const int quads = (cols + 3) / 4;
    for (std::int64_t q = first_item(); q < g.rows * quads; q += item_stride()) {
        const std::int64_t r = q / quads;
        const int c = static_cast<int>(q % quads) * 4;
        float v[4] = {};
        for (int j = 0; j < 4 && c + j < cols; ++j) {
            const std::int64_t e = r * cols + c + j;
            v[j] = g.partials[e];
            for (int slice = 1; slice < s.slices; ++slice) v[j] += g.partials[slice * plane + e];
        }
        finish(r, c, v);
    }
    grid::sync();
}

// z_l = act(z_{l-1}) W_l^T + b_l into the workspace's buffers l = 1 .. L (buffer 0: x_at).
template <Precision P, class Input>
__device__ void forward(const mlp_block::Tile& t, const Rows& g, float* work, unsigned char* staging, Input x_at) {
    for (int l = 0; l < t.layers; ++l) {
        float* out = work + t.offset[l + 1];
        const int ld = t.ld[l + 1];
        const float* bias = t.b[l];
        auto store = [&](std::int64_t r, int c, const float* v) {
            for (int j = 0; j < 4 && c + j < t.widths[l + 1]; ++j) out[r * ld + c + j] = v[j] + bias[c + j];
        };
        if (l == 0) {
            product<P, true>(g, staging, t.w[0], t.widths[1], t.widths[0], x_at, store);
        } else {
            const float* in = work + t.offset[l];
            const int ld_in = t.ld[l];
            auto activated = [&](std::int64_t r, int k) {
                return r < g.rows ? activate(t.act, t.slope, in[r * ld_in + k]) : 0.0f;
            };
            product<P, true>(g, staging, t.w[l], t.widths[l + 1], t.widths[l], activated, store);
        }
    }
}

// The energy of every row from buffer L (mlp_block::head_row, a warp per row across the
// grid); with `gradient` buffer L becomes dE/dlogits. labels (nullable) are every row's;
// on_energy(r, e) once per row. Ends with a grid barrier.
template <class OnEnergy>
__device__ void energy_head(const mlp_block::Tile& t, const Rows& g, float* work, const std::int32_t* labels,
                            bool gradient, OnEnergy on_energy) {
    float* logits = work + t.offset[t.layers];
    const int k = t.widths[t.layers], ld = t.ld[t.layers];
    for (std::int64_t r = first_warp_item(); r < g.rows; r += warp_item_stride()) {
        const float e = mlp_block::head_row(logits + r * ld, k, labels ? labels[r] : -1, gradient);
        if (threadIdx.x % 32 == 0) on_energy(r, e);
    }
    grid::sync();
}

// delta_l = (delta_{l+1} W_{l+1}) * act'(z_l) in place of z_l (l = L-1 .. 1), from
// dE/dlogits in buffer L; then on_input(r, c, g) receives dE/dx[r][c .. c+3] once (product's
// finish: columns from widths[0] on included).
template <Precision P, class OnInput>
__device__ void backward(const mlp_block::Tile& t, const Rows& g, float* work, unsigned char* staging,
                         OnInput on_input) {
    for (int l = t.layers - 1; l >= 0; --l) {
        const float* delta = work + t.offset[l + 1];
        const int ld_delta = t.ld[l + 1];
        auto delta_at = [&](std::int64_t r, int k) { return r < g.rows ? delta[r * ld_delta + k] : 0.0f; };
        if (l > 0) {
            float* z = work + t.offset[l];
            const int ld = t.ld[l];
            auto store = [&](std::int64_t r, int c, const float* v) {
                for (int j = 0; j < 4 && c + j < t.widths[l]; ++j) {
                    z[r * ld + c + j] = v[j] * activate_grad(t.act, t.slope, z[r * ld + c + j]);
                }
            };
            product<P, false>(g, staging, t.w[l], t.widths[l], t.widths[l + 1], delta_at, store);
        } else {
            product<P, false>(g, staging, t.w[0], t.widths[0], t.widths[1], delta_at, on_input);
        }
    }
}

}  // namespace ebmkit::kernels::mlp_grid
