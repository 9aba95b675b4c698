// An MLP energy evaluated by one thread block on a tile of ROWS rows that stays in
// shared memory through every layer (kernels/mlp_fused.cu, kernels/langevin_chain.cu):
//   forward:  buffer l <- z_l = act(z_{l-1}) W_l^T + b_l  (l = 1 .. L; act applied as z_{l-1} is read,
//             the input x for l = 1), buffer L holds the logits
//   head:     E = -LSE(logits) (or -logits[y]); buffer L <- dE/dlogits = -softmax (or -onehot(y))
//   backward: buffer l <- delta_l = (delta_{l+1} W_{l+1}) * act'(z_l), in place of z_l (l = L-1 .. 1),
//             then dE/dx = delta_1 W_1 goes to the caller's epilogue
// Each product is a kernels::block::gemm; weights stream from L2 through its staging.
// The fused path takes a model when the buffers of 16 rows and the staging fit in a
// block's shared memory and it has at most max_layers layers.
// A tile is one block's (row tiles) or a thread-block cluster's (kernels/launch_shape.hpp's
// TileLaunch): with a cluster every block keeps a copy of every buffer, computes its
// share of each product's 64-column tiles (Split) and writes each result into its peers'
// copies too (distributed shared memory), and the cluster barrier after each product
// makes them visible. Pushing rather than pulling keeps one barrier per product: a
// block writes a peer's buffer l only in the product that computes buffer l, which no
// block reads during that product, and every block passed the barrier of the product
// before, so no block still reads the values being replaced.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "ebmkit/detail/host_device.hpp"
#include "ebmkit/energy.hpp"
#include "kernels/activation.cuh"
#include "kernels/block_gemm.cuh"
#include "kernels/cluster.cuh"
#include "kernels/cuda_check.hpp"
#include "kernels/mlp.hpp"
#include "kernels/online_lse.cuh"
#include "kernels/tile_model.hpp"

namespace ebmkit::kernels::mlp_block {

constexpr int max_layers = tile_max_layers;

// The model's device view and the block's shared-memory plan, passed by value.
struct Tile : TileModel {
    int ld[max_layers + 1];      // row stride of buffer l, in floats
    int offset[max_layers + 1];  // float offset of buffer l; buffer 0 (the input x) only when `with_input`
    int staging;                 // byte offset of the products' staging, 32-byte aligned
    int bytes;                   // dynamic shared memory in all
};

// The buffers' strides and offsets and the staging's offset of t (its layers and widths
// set) for `rows` rows per block; with_input also keeps x [rows, widths[0]] on chip. On
// the host for plan, on the device where a tile is laid out from an energy's own values
// (kernels/mlp_energy_view_block.cuh). Returns the floats of the buffers.
EBMKIT_HOST_DEVICE long long lay_out(Tile& t, int rows, bool with_input) {
    long long floats = 0;
    for (int l = 0; l <= t.layers; ++l) {
        t.ld[l] = (t.widths[l] + 3) / 4 * 4;
        t.offset[l] = static_cast<int>(floats);
        if (l > 0 || with_input) floats += static_cast<long long>(rows) * t.ld[l];
    }
    const long long staging = (floats * 4 + 31) / 32 * 32;
    t.staging = static_cast<int>(staging < (1 << 30) ? staging : (1 << 30));
    return floats;
}

// The plan for `rows` rows per block; with_input also keeps x [rows, widths[0]] on chip.
inline Tile plan(const MlpLayers& mlp, int rows, Precision precision, bool with_input) {
    Tile t{};
    static_cast<TileModel&>(t) = tile_model(mlp);
    const long long floats = lay_out(t, rows, with_input);
    const long long bytes = (floats * 4 + 31) / 32 * 32 + block::staging_bytes(precision, rows);
    t.bytes = static_cast<int>(std::min<long long>(bytes, 1 << 30));
    return t;
}

// Rows per block (block::rows_per_block for the plan's bytes); 0 also for more than
// max_layers layers.
inline int rows_per_block(const MlpLayers& mlp, std::int64_t rows, Precision precision, bool with_input,
                          const DeviceLimits& limits) {
    if (!tile_holds(mlp)) return 0;
    return block::rows_per_block(rows, limits, [&](int r) { return plan(mlp, r, precision, with_input).bytes; });
}

// Row tiles or clusters for `rows` rows (kernels::tile_launch); a cluster has at most a
// block per column tile of the widest product (the input gradient's widths[0] counted
// with_input, where the chain computes it).
inline TileLaunch tile_launch(const MlpLayers& mlp, std::int64_t rows, bool with_input, const DeviceLimits& limits,
                              TilePlan wanted, const char* what) {
    std::int64_t widest = 0;
    for (std::size_t l = with_input ? 0 : 1; l < mlp.widths.size(); ++l) widest = std::max(widest, mlp.widths[l]);
    const int column_tiles = static_cast<int>(std::min<std::int64_t>((widest + block::tile_cols - 1) / block::tile_cols, 1 << 20));
    return kernels::tile_launch(rows, rows_per_block(mlp, rows, mlp.precision, with_input, limits), column_tiles,
                                block::threads, limits, wanted,
                                [&](int r) { return plan(mlp, r, mlp.precision, with_input).bytes; }, what);
}

// This block's share of its tile's products: the 64-column tiles rank, rank + size, ...
// (size 1: row tiles, every column).
struct Split {
    int rank;
    int size;
    __device__ bool owns(int col) const { return col / block::tile_cols % size == rank; }
    // v, just written at `at` in this block's shared memory, into the peers' copies.
    __device__ void share(float* at, float v) const {
        for (int p = 0; p < size; ++p) {
            if (p != rank) *cluster::peer(at, static_cast<unsigned>(p)) = v;
        }
    }
    // After a product: every block's shares visible to every block.
    __device__ void done() const {
        if (size > 1) cluster::sync();
    }
};

// A launch without clusters is a cluster of one block.
__device__ inline Split this_split() { return {static_cast<int>(cluster::rank()), static_cast<int>(cluster::size())}; }

// The tile's first `valid` rows are real; the rest compute on zeros and are never stored.
using Rows = BlockTile;

// This block's tile (every block of a cluster on the same one).
__device__ inline Rows block_rows(int rows_per_block, std::int64_t rows, const Split& split) {
    return block_tile(blockIdx.x / split.size, rows_per_block, rows);
}

// Before a block writes a peer's shared memory, every block of the cluster must have started.
__device__ inline void tile_loaded(const Split& split) {
    if (split.size > 1) cluster::sync();
    else __syncthreads();
}

// C = A B over this block's share of the columns [0, cols) (block::gemm's arguments).
template <int ROWS, Precision P, bool FORWARD, class ALoad, class Epilogue>
__device__ void split_gemm(const Split& split, unsigned char* staging, const float* w, int ld_w, int cols, int inner,
                           ALoad a_at, Epilogue epilogue) {
    if (split.size == 1) return block::gemm<ROWS, P, FORWARD>(staging, w, ld_w, 0, cols, inner, a_at, epilogue);
    for (int c0 = split.rank * block::tile_cols; c0 < cols; c0 += split.size * block::tile_cols) {
        block::gemm<ROWS, P, FORWARD>(staging, w, ld_w, c0, c0 + block::tile_cols < cols ? c0 + block::tile_cols : cols,
                                      inner, a_at, epilogue);
    }
}

// on_hidden(l, r, c, z) sees z_l[r][c .. c+3] of hidden layers as this block writes them.
template <int ROWS, Precision P, class Input, class OnHidden>
__device__ void forward(const Tile& t, const Split& split, float* smem, Input x_at, OnHidden on_hidden) {
    auto* staging = reinterpret_cast<unsigned char*>(smem) + t.staging;
    for (int l = 0; l < t.layers; ++l) {
        float* out = smem + t.offset[l + 1];
        const int ld = t.ld[l + 1], cols = t.widths[l + 1];
        const float* bias = t.b[l];
        auto store = [&](int r, int c, float v[4]) {
            float z[4];
#pragma unroll
            for (int j = 0; j < 4; ++j) {
                z[j] = c + j < cols ? v[j] + bias[c + j] : 0.0f;
                if (c + j < cols) {
                    out[r * ld + c + j] = z[j];
                    split.share(&out[r * ld + c + j], z[j]);
                }
            }
            if (l + 1 < t.layers) on_hidden(l + 1, r, c, z);
        };
        if (l == 0) {
            split_gemm<ROWS, P, true>(split, staging, t.w[0], t.widths[0], cols, t.widths[0], x_at, store);
        } else {
            const float* in = smem + t.offset[l];
            const int ld_in = t.ld[l];
            auto activated = [&](int r, int k) { return activate(t.act, t.slope, in[r * ld_in + k]); };
            split_gemm<ROWS, P, true>(split, staging, t.w[l], t.widths[l], cols, t.widths[l], activated, store);
        }
        split.done();
    }
}

// One row's energy from its k logits, by the warp that calls it: E = -LSE(logits), or
// -logits[y] with a label y >= 0; with `gradient` the row becomes dE/dlogits (-softmax,
// or -onehot(y)). Returns E in every lane.
__device__ inline float head_row(float* row, int k, int label, bool gradient) {
    const int lane = threadIdx.x % 32;
    if (label >= 0) {
        const float e = -row[label];
        __syncwarp();  // every lane has read row[y] before it is replaced
        if (gradient) for (int j = lane; j < k; j += 32) row[j] = j == label ? -1.0f : 0.0f;
        return e;
    }
    // The online LSE with the special values of docs/ARCHITECTURE.md §1, merged across the warp.
    online_lse::OnlineLse state = online_lse::OnlineLse::identity();
    for (int j = lane; j < k; j += 32) state.add(row[j]);
    const float lse = online_lse::warp_merge<32>(state).result();
    if (gradient) for (int j = lane; j < k; j += 32) row[j] = lse == -INFINITY ? 0.0f : -expf(row[j] - lse);
    return -lse;
}

// The energy of each row from the logits in buffer L, a warp per row (head_row); with
// `gradient`, buffer L becomes dE/dlogits. Every block of a cluster computes the whole
// head on its own copy (the logits are few); the caller lets one of them write out.
// label_of(r) is row r's class (-1: none). on_energy(r, e) is called for the valid rows.
template <int ROWS, class LabelOf, class OnEnergy>
__device__ void tile_energy_head(const Tile& t, float* smem, LabelOf label_of, int valid, bool gradient,
                                 OnEnergy on_energy) {
    float* logits = smem + t.offset[t.layers];
    const int k = t.widths[t.layers], ld = t.ld[t.layers];
    const int lane = threadIdx.x % 32;
    for (int r = threadIdx.x / 32; r < ROWS; r += block::warps) {
        float* row = logits + r * ld;
        if (r >= valid) {
            if (gradient) for (int j = lane; j < k; j += 32) row[j] = 0.0f;
            continue;
        }
        const float e = head_row(row, k, label_of(r), gradient);
        if (lane == 0) on_energy(r, e);
    }
    __syncthreads();
}

// From dL/dlogits in buffer L. on_delta(l, r, c, d) sees delta_l[r][c .. c+3] of hidden
// layers as this block writes them; with input_grad, on_input(r, c, g) receives this
// block's share of dL/dx[r][c .. c+3] (columns beyond widths[0] included: the callee
// checks), and what it writes to a buffer it shares with the peers (Split::share) before
// the barrier that ends the product.
template <int ROWS, Precision P, class OnDelta, class OnInput>
__device__ void backward(const Tile& t, const Split& split, float* smem, OnDelta on_delta, bool input_grad,
                         OnInput on_input) {
    auto* staging = reinterpret_cast<unsigned char*>(smem) + t.staging;
    for (int l = t.layers - 1; l >= 0; --l) {
        const float* delta = smem + t.offset[l + 1];
        const int ld_delta = t.ld[l + 1];
        auto delta_at = [&](int r, int k) { return delta[r * ld_delta + k]; };
        const int cols = t.widths[l], inner = t.widths[l + 1];
        if (l > 0) {
            float* z = smem + t.offset[l];
            const int ld = t.ld[l];
            auto store = [&](int r, int c, float v[4]) {
                float d[4];
#pragma unroll
                for (int j = 0; j < 4; ++j) {
                    d[j] = 0.0f;
                    if (c + j < cols) {
                        d[j] = v[j] * activate_grad(t.act, t.slope, z[r * ld + c + j]);
                        z[r * ld + c + j] = d[j];
                        split.share(&z[r * ld + c + j], d[j]);
                    }
                }
                on_delta(l, r, c, d);
            };
            split_gemm<ROWS, P, false>(split, staging, t.w[l], cols, cols, inner, delta_at, store);
            split.done();
        } else if (input_grad) {
            split_gemm<ROWS, P, false>(split, staging, t.w[0], cols, cols, inner, delta_at, on_input);
            split.done();
        }
    }
}

// The tile as the block-cooperative form of the MLP energy (ebmkit/energy.hpp): ROWS
// chains' states x in buffer 0 (t laid out with the input), E = -LSE f(x), or -f_y(x)
// with labels[first + r] (labels nullable) or else `label` (>= 0) for every row. The
// gradient comes out of the input layer's product, after which x is not read again, so
// its epilogue hands each quad over with the states; with a cluster each block hands
// over its share of the columns and pushes what the callee left to its peers' copies.
// LangevinSampler's fused chain (kernels/langevin_chain.cuh) and MlpEnergyView's block
// form (kernels/mlp_energy_view_block.cuh) are this. It refers to its tile: a kernel's
// parameter stays in the parameter space (a copy would go to the stack, read with every
// product's weight pointers).
template <int ROWS, Precision P>
struct TileEnergy {
    static constexpr int block_rows = ROWS;
    const Tile& t;
    const std::int32_t* labels = nullptr;
    int label = -1;

    __device__ int dim() const { return t.widths[0]; }
    std::size_t block_shared_bytes() const { return static_cast<std::size_t>(t.bytes); }

    __device__ void block_load(const BlockTile& tile, const float* x, unsigned char* shared) const {
        float* xs = reinterpret_cast<float*>(shared) + t.offset[0];
        const int d = t.widths[0], ld = t.ld[0];
        for (int e = threadIdx.x; e < ROWS * d; e += block::threads) {
            const int r = e / d, k = e % d;
            xs[r * ld + k] = r < tile.valid ? x[static_cast<std::int64_t>(r) * d + k] : 0.0f;
        }
        tile_loaded(this_split());
    }

    template <class OnEnergy, class OnGrad>
    __device__ void block_evaluate(const BlockTile& tile, unsigned char* shared, bool gradient, OnEnergy on_energy,
                                   OnGrad on_grad) const {
        const Split split = this_split();
        float* smem = reinterpret_cast<float*>(shared);
        float* xs = smem + t.offset[0];
        const int d = t.widths[0], ld = t.ld[0];
        auto x_at = [&](int r, int k) { return xs[r * ld + k]; };
        auto no_hidden = [](int, int, int, const float*) {};
        forward<ROWS, P>(t, split, smem, x_at, no_hidden);
        auto label_of = [&](int r) { return labels ? labels[tile.first + r] : label; };
        tile_energy_head<ROWS>(t, smem, label_of, tile.valid, gradient, [&](int r, float e) {
            if (split.rank == 0) on_energy(r, e);
        });
        if (!gradient) return;
        auto no_delta = [](int, int, int, const float*) {};
        auto input = [&](int r, int c, const float* g) {
            if (r >= tile.valid || c >= d) return;
            float* x4 = xs + r * ld + c;
            on_grad(r, c, g, x4);
            for (int j = 0; j < 4 && c + j < d; ++j) split.share(&x4[j], x4[j]);
        };
        backward<ROWS, P>(t, split, smem, no_delta, true, input);
    }

    __device__ void block_store(const BlockTile& tile, float* x, unsigned char* shared) const {
        const Split split = this_split();
        const float* xs = reinterpret_cast<const float*>(shared) + t.offset[0];
        const int d = t.widths[0], ld = t.ld[0];
        for (int e = threadIdx.x; e < tile.valid * d; e += block::threads) {
            if (split.owns(e % d)) x[e] = xs[e / d * ld + e % d];
        }
    }
};

}  // namespace ebmkit::kernels::mlp_block
