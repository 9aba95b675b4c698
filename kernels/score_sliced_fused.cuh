// The fused form of sliced score matching's order-2 Taylor pass (kernels/score_sliced.cuh
// states the math): one block's tile of ROWS rows runs the whole pass on chip, a launch
// in place of the unfused pass's 4L products and elementwise kernels, in a header so that
// the emulated suite runs it on the host.
//
// Each layer's products are three block products, one per coefficient (the constant one
// with the bias); the hidden activations' jets are formed where the next product reads
// them. Shared memory: every layer's Z jet (three blocks of ROWS x w_l), overwritten
// in place by its Delta jet in the backward pass, and two temporaries of the widest
// hidden layer for the backward product's first two coefficients, which the third's
// epilogue combines with act'(Z) as a jet. The input jet is read from global memory
// (the first layer's second-order block is zero: two products, not three); A_l (hidden),
// Delta_l and G go to global memory in the unfused pass's stacked layout, where the
// shared gradient code (run_sliced) pairs them.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/activation.cuh"
#include "kernels/block_gemm.cuh"
#include "kernels/jet_rule.cuh"
#include "kernels/mlp.hpp"
#include "kernels/online_lse.cuh"
#include "kernels/tile_model.hpp"
#include "kernels/warp_reduce.cuh"

namespace ebmkit::kernels::score_sliced {

constexpr int max_layers = tile_max_layers;

// The model's device view and the block's shared-memory plan, passed by value.
struct Tile : TileModel {
    int ld[max_layers + 1];  // row stride of layer l's blocks, in floats
    int z[max_layers + 1];   // float offset of Z_l's three blocks (l = 1 .. L), block c at z[l] + c ROWS ld[l]
    int t;                   // float offset of the two temporaries [2][ROWS][ld_t]
    int ld_t;
    int staging;             // byte offset of the products' staging, 32-byte aligned
    int bytes;               // dynamic shared memory in all
};

// Global memory, every jet matrix [3 rows, w] stacked by coefficient.
struct PassIo {
    const float* input;  // the input jet [3 rows, D]: x and the direction (its third block is zero, unread)
    std::int64_t rows;
    float* a[max_layers + 1];      // hidden l = 1 .. L-1: A_l
    float* delta[max_layers + 1];  // l = 1 .. L: Delta_l
    float* g;                      // the input gradient's jet G [3 rows, D]
};

inline Tile plan(const MlpLayers& mlp, int rows, Precision precision) {
    Tile t{};
    static_cast<TileModel&>(t) = tile_model(mlp);
    for (int l = 0; l <= t.layers && l <= max_layers; ++l) t.ld[l] = (t.widths[l] + 3) / 4 * 4;
    long long floats = 0;
    for (int l = 1; l <= t.layers && l <= max_layers; ++l) {
        t.z[l] = static_cast<int>(floats < (1 << 30) ? floats : (1 << 30));
        floats += 3LL * rows * t.ld[l];
        if (l < t.layers && t.ld[l] > t.ld_t) t.ld_t = t.ld[l];
    }
    t.t = static_cast<int>(floats < (1 << 30) ? floats : (1 << 30));
    floats += 2LL * rows * t.ld_t;
    const long long staging = (floats * 4 + 31) / 32 * 32;
    t.staging = static_cast<int>(staging < (1 << 30) ? staging : (1 << 30));
    const long long bytes = staging + block::staging_bytes(precision, rows);
    t.bytes = static_cast<int>(bytes < (1 << 30) ? bytes : (1 << 30));
    return t;
}

// Rows per block, 16 or 32 (block::rows_per_block's choice, capped: 64 rows of jets fit
// only models too small to need them, and the FP32 products' register tiles at 64 rows
// spill beside the jets' epilogues); 0 when the model has more than max_layers layers or
// 16 rows do not fit (the unfused pass takes it).
inline int rows_per_block(const MlpLayers& mlp, std::int64_t rows, const DeviceLimits& limits) {
    if (!tile_holds(mlp)) return 0;
    const int r = block::rows_per_block(rows, limits, [&](int r) { return plan(mlp, r, mlp.precision).bytes; });
    return r < 32 ? r : 32;
}

// f(std::integral_constant<int, ROWS>) for the fused pass's tile heights, 16 or 32.
template <class F>
void with_tile_rows(int rows, F&& f) {
    if (rows == 16) return f(std::integral_constant<int, 16>{});
    f(std::integral_constant<int, 32>{});
}

template <int ROWS, Precision P>
__device__ void pass_tile(const Tile& t, const PassIo& io, float* smem) {
    const std::int64_t first = static_cast<std::int64_t>(blockIdx.x) * ROWS, n = io.rows;
    const int valid = static_cast<int>(n - first < ROWS ? n - first : ROWS);
    const int d = t.widths[0], layers = t.layers, k = t.widths[layers];
    auto* staging = reinterpret_cast<unsigned char*>(smem) + t.staging;
    auto block_of = [&](int l, int c) { return smem + t.z[l] + c * ROWS * t.ld[l]; };
    // Writes [r][col .. col+3] of coefficient block c of a stacked [3 n, cols] matrix, valid rows only.
    auto store = [&](float* out, int cols, int c, int r, int col, const float* v) {
        if (r >= valid) return;
        float* row = out + (c * n + first + r) * cols;
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            if (col + j < cols) row[col + j] = v[j];
        }
    };

    // Forward: Z_{l+1}.c = A_l.c W_l^T (+ b_l for c = 0); the last coefficient's epilogue
    // forms A_{l+1}'s jet for global memory. The input's second-order block is zero, so
    // the first layer's Z.2 is too (written by its second product's epilogue).
    for (int l = 0; l < layers; ++l) {
        const int cols = t.widths[l + 1], ld = t.ld[l + 1], in = t.widths[l], ld_in = t.ld[l];
        const bool hidden = l + 1 < layers;
        const int last = l == 0 ? 1 : 2;
        for (int c = 0; c <= last; ++c) {
            float* out = block_of(l + 1, c);
            auto epilogue = [&](int r, int col, float v[4]) {
                float a[3][4] = {};
#pragma unroll
                for (int j = 0; j < 4; ++j) {
                    if (col + j >= cols) continue;
                    const int at = r * ld + col + j;
                    const float z = c == 0 ? v[j] + t.b[l][col + j] : v[j];
                    out[at] = z;
                    if (c != last) continue;
                    const float z2 = l == 0 ? 0.0f : z;
                    if (l == 0) block_of(1, 2)[at] = 0.0f;
                    if (!hidden) continue;
                    const float z0 = block_of(l + 1, 0)[at], z1 = block_of(l + 1, 1)[at];
                    float aj[3];
                    jet::activation(t.act, t.slope, z0, z1, z2, aj);
#pragma unroll
                    for (int q = 0; q < 3; ++q) a[q][j] = aj[q];
                }
                if (c == last && hidden) {
#pragma unroll
                    for (int q = 0; q < 3; ++q) store(io.a[l + 1], cols, q, r, col, a[q]);
                }
            };
            if (l == 0) {
                const float* src = io.input + c * n * d;
                auto input_at = [&](int r, int i) { return r < valid ? src[(first + r) * d + i] : 0.0f; };
                block::gemm<ROWS, P, true>(staging, t.w[0], d, 0, cols, d, input_at, epilogue);
            } else {
                const float* z0 = block_of(l, 0);
                const float* z1 = block_of(l, 1);
                const float* z2 = block_of(l, 2);
                auto jet_at = [&](int r, int i) {
                    const int at = r * ld_in + i;
                    return jet::activation(t.act, t.slope, c, z0[at], z1[at], z2[at]);
                };
                block::gemm<ROWS, P, true>(staging, t.w[l], in, 0, cols, in, jet_at, epilogue);
            }
        }
    }

    // The head, a warp per row: Z_L <- Delta_L = -softmax(F) as a jet (kernels/score_sliced.cuh's
    // JetHead), zeros beyond the batch.
    const int lane = threadIdx.x % 32;
    const int ld_top = t.ld[layers];
    for (int r = threadIdx.x / 32; r < ROWS; r += block::warps) {
        float* f0 = block_of(layers, 0) + r * ld_top;
        float* f1 = block_of(layers, 1) + r * ld_top;
        float* f2 = block_of(layers, 2) + r * ld_top;
        if (r >= valid) {
            for (int j = lane; j < k; j += 32) f0[j] = f1[j] = f2[j] = 0.0f;
            continue;
        }
        online_lse::OnlineLse state = online_lse::OnlineLse::identity();
        for (int j = lane; j < k; j += 32) state.add(f0[j]);
        const float lse0 = online_lse::warp_merge<32>(state).result();
        float l1 = 0.0f, l2 = 0.0f, sq = 0.0f;
        for (int j = lane; j < k; j += 32) {
            const float p = expf(f0[j] - lse0);
            l1 = fmaf(p, f1[j], l1);
            l2 = fmaf(p, f2[j], l2);
            sq = fmaf(p * f1[j], f1[j], sq);
        }
        l1 = warp_sum(l1);
        l2 = warp_sum(l2) + 0.5f * (warp_sum(sq) - l1 * l1);
        float* out = io.delta[layers];
        for (int j = lane; j < k; j += 32) {
            float d[3];
            jet::negative_softmax(expf(f0[j] - lse0), f1[j], f2[j], l1, l2, d);
            f0[j] = d[0];
            f1[j] = d[1];
            f2[j] = d[2];
            for (int c = 0; c < 3; ++c) out[(c * n + first + r) * k + j] = d[c];
        }
    }
    __syncthreads();

    // Backward: B_l.c = Delta_{l+1}.c W_l. A hidden layer's first two coefficients wait in
    // the temporaries; the third's epilogue forms Delta_l = B_l act'(Z_l) as a jet in place
    // of Z_l. The input layer's B is G.
    float* t0 = smem + t.t;
    float* t1 = t0 + ROWS * t.ld_t;
    for (int l = layers - 1; l >= 0; --l) {
        const int cols = t.widths[l], inner = t.widths[l + 1], ld_next = t.ld[l + 1], ld = t.ld[l];
        for (int c = 0; c < 3; ++c) {
            const float* next = block_of(l + 1, c);
            auto delta_at = [&](int r, int i) { return next[r * ld_next + i]; };
            if (l == 0) {
                auto to_g = [&](int r, int col, float v[4]) { store(io.g, cols, c, r, col, v); };
                block::gemm<ROWS, P, false>(staging, t.w[0], cols, 0, cols, inner, delta_at, to_g);
                continue;
            }
            auto epilogue = [&](int r, int col, float v[4]) {
                float dj[3][4] = {};
#pragma unroll
                for (int j = 0; j < 4; ++j) {
                    if (col + j >= cols) continue;
                    if (c < 2) {
                        (c == 0 ? t0 : t1)[r * t.ld_t + col + j] = v[j];
                        continue;
                    }
                    const int at = r * ld + col + j;
                    float* zb0 = block_of(l, 0);
                    float* zb1 = block_of(l, 1);
                    float* zb2 = block_of(l, 2);
                    float d[3];
                    jet::times_activation_grad(t.act, t.slope, zb0[at], zb1[at], zb2[at], t0[r * t.ld_t + col + j],
                                               t1[r * t.ld_t + col + j], v[j], d);
#pragma unroll
                    for (int q = 0; q < 3; ++q) dj[q][j] = d[q];
                    zb0[at] = dj[0][j];
                    zb1[at] = dj[1][j];
                    zb2[at] = dj[2][j];
                }
                if (c == 2) {
#pragma unroll
                    for (int q = 0; q < 3; ++q) store(io.delta[l], cols, q, r, col, dj[q]);
                }
            };
            block::gemm<ROWS, P, false>(staging, t.w[l], cols, 0, cols, inner, delta_at, epilogue);
        }
    }
}

}  // namespace ebmkit::kernels::score_sliced
