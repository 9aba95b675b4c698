// The body of the fused MLP kernels (kernels/mlp_fused.cu), one block's tile of rows,
// in a header so that tests/emulated_block_test.cpp can run it on the host.
#pragma once

#include "kernels/jem.cuh"
#include "kernels/mlp_block.cuh"

namespace ebmkit::kernels::mlp_fused_body {

using mlp_block::max_layers;
using mlp_block::Tile;

// JemGrad: ParamGrad with the dL/dlogits of the JEM head (kernels/jem.cuh), computed on
// chip from the logits, as the forward pass's epilogue.
enum class Mode { Energy, Score, ParamGrad, JemGrad };

struct Io {
    const float* x;
    std::int64_t rows;
    const std::int32_t* labels;  // nullable
    float* logits;               // Energy, nullable
    float* energy;               // Energy / Score, nullable
    float* grad;                 // Score: dE/dx
    const float* dlogits;        // ParamGrad
    float* activations[max_layers];  // ParamGrad: a_l [rows, widths[l]], l = 1 .. L-1
    float* deltas[max_layers];       // ParamGrad: dL/dz_l [rows, widths[l]], l = 1 .. L-1
    JemHeadWeights head;             // JemGrad, with labels for data rows
    JemRowTerms* terms;              // JemGrad: [rows]
    float* dlogits_out;              // JemGrad: the head's dL/dlogits [rows, K]
};

// This block's tile of rows (a block's, or a cluster's: mlp_block::Split); smem is the
// plan's dynamic shared memory. Each block of a cluster writes out the columns it
// computed; what every block computes whole (the head) is written out by rank 0.
template <int ROWS, Precision P, Mode M>
__device__ void mlp_fused_tile(const Tile& t, const Io& io, float* smem) {
    const mlp_block::Split split = mlp_block::this_split();
    const bool writer = split.rank == 0;
    const mlp_block::Rows rows = mlp_block::block_rows(ROWS, io.rows, split);
    mlp_block::tile_loaded(split);
    const int d = t.widths[0];
    const float* x = io.x + rows.first * d;
    auto x_at = [&](int r, int k) { return r < rows.valid ? x[static_cast<std::int64_t>(r) * d + k] : 0.0f; };
    // Stores [r][c .. c+3] of a [rows, cols] global matrix for the block's valid rows.
    auto store_rows = [&](float* out, int cols, int r, int c, const float* v) {
        if (r >= rows.valid) return;
        float* row = out + (rows.first + r) * cols;
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            if (c + j < cols) row[c + j] = v[j];
        }
    };
    auto on_hidden = [&](int l, int r, int c, const float* z) {
        if constexpr (M == Mode::ParamGrad || M == Mode::JemGrad) {
            float a[4];
#pragma unroll
            for (int j = 0; j < 4; ++j) a[j] = activate(t.act, t.slope, z[j]);
            store_rows(io.activations[l], t.widths[l], r, c, a);
        }
    };
    mlp_block::forward<ROWS, P>(t, split, smem, x_at, on_hidden);

    const std::int32_t* labels = io.labels ? io.labels + rows.first : nullptr;
    auto label_of = [&](int r) { return labels ? labels[r] : -1; };
    auto on_energy = [&](int r, float e) {
        if (io.energy && writer) io.energy[rows.first + r] = e;
    };
    if constexpr (M == Mode::Energy) {
        if (io.logits) {
            const float* logits = smem + t.offset[t.layers];
            const int k = t.widths[t.layers];
            for (int e = threadIdx.x; e < rows.valid * k; e += block::threads) {
                if (split.owns(e % k)) io.logits[rows.first * k + e] = logits[e / k * t.ld[t.layers] + e % k];
            }
        }
        mlp_block::tile_energy_head<ROWS>(t, smem, label_of, rows.valid, false, on_energy);
    } else if constexpr (M == Mode::Score) {
        mlp_block::tile_energy_head<ROWS>(t, smem, label_of, rows.valid, true, on_energy);
        auto no_delta = [](int, int, int, const float*) {};
        auto on_input = [&](int r, int c, const float* g) { store_rows(io.grad, d, r, c, g); };
        mlp_block::backward<ROWS, P>(t, split, smem, no_delta, true, on_input);
    } else {
        float* dlogits = smem + t.offset[t.layers];
        const int k = t.widths[t.layers];
        if constexpr (M == Mode::JemGrad) {
            // The head in place on the logits; the rows beyond the batch get zeros.
            const int lane = threadIdx.x % 32;
            for (int r = threadIdx.x / 32; r < ROWS; r += block::warps) {
                float* row = dlogits + r * t.ld[t.layers];
                if (r >= rows.valid) {
                    for (int j = lane; j < k; j += 32) row[j] = 0.0f;
                    continue;
                }
                jem_body::jem_head_row(row, row, k, labels ? labels[r] : -1, io.head,
                                       writer ? io.terms + rows.first + r : nullptr);
                __syncwarp();
                if (writer) for (int j = lane; j < k; j += 32) io.dlogits_out[(rows.first + r) * k + j] = row[j];
            }
        } else {
            for (int e = threadIdx.x; e < ROWS * k; e += block::threads) {
                const int r = e / k;
                dlogits[r * t.ld[t.layers] + e % k] = r < rows.valid ? io.dlogits[(rows.first + r) * k + e % k] : 0.0f;
            }
        }
        __syncthreads();
        auto on_delta = [&](int l, int r, int c, const float* delta) { store_rows(io.deltas[l], t.widths[l], r, c, delta); };
        auto no_input = [](int, int, const float*) {};
        mlp_block::backward<ROWS, P>(t, split, smem, on_delta, false, no_input);
    }
}

}  // namespace ebmkit::kernels::mlp_fused_body
