// The body of the fused denoising-score-matching kernel (kernels/score_fused.cu), one
// block's tile of ROWS rows, in a header so that the emulated suite runs it on the host.
//
// For row r with x~ = x + sigma eps, E(x~) = -LSE f(x~), g = grad_x E(x~), the residual
// res = -g / c + eps / sigma and the row's loss w / 2 |res|^2 (ebmkit/score.hpp), the
// loss's parameter gradient is kappa d/dt grad_theta E(x~ + t res) at t = 0 with
// kappa = -w / c times the caller's scale (host/cpu/score.hpp). That derivative is
// forward-over-reverse: with the tangent u = kappa res at the input,
//   forward:  z_{l+1} = W_l a_l + b_l,            a_l = act(z_l)        (a_0 = x~)
//   tangent:  zd_{l+1} = W_l ad_l,                ad_l = act'(z_l) zd_l (ad_0 = u)
//   head:     delta_L = -softmax f,               deltad_L = -p (fd - p . fd), p = softmax f
//   backward: g_l = delta_{l+1} W_l,              delta_l = g_l act'(z_l)
//   tangent:  gd_l = deltad_{l+1} W_l,            deltad_l = gd_l act'(z_l) + g_l act''(z_l) zd_l
// and dW_l = sum_r deltad_{l+1} a_l^T + delta_{l+1} ad_l^T, db_l = sum_r deltad_{l+1}.
// One launch computes all four passes per tile, on chip, in the order forward, backward
// (its last product gives g_0, so the residual), tangent forward, tangent backward;
// the per-row factors a, ad, delta, deltad go to global memory, where the launcher's
// cuBLAS products sum them over the rows (as the fused MLP's ParamGrad mode does).
//
// Shared memory per hidden layer: z_l, zd_l (overwritten by deltad_l in the tangent
// backward's epilogue, which reads zd_l at the same element first) and g_l; the output
// layer: z_L (then delta_L) and zd_L (then deltad_L). The input layer stays in global
// memory: x~ is formed from x, sigma and eps where the first product reads it, the
// residual goes to global memory, and the tangent u is read back from there.
// Row tiles only (no cluster plan): every block computes whole products.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/activation.cuh"
#include "kernels/block_gemm.cuh"
#include "kernels/mlp.hpp"
#include "kernels/online_lse.cuh"
#include "kernels/tile_model.hpp"
#include "kernels/warp_reduce.cuh"

namespace ebmkit::kernels::score_fused {

constexpr int max_layers = tile_max_layers;

// The model's device view and the block's shared-memory plan, passed by value.
struct Tile : TileModel {
    int ld[max_layers + 1];     // row stride of layer l's buffers, in floats
    int z[max_layers + 1];      // float offsets of z_l, zd_l (l = 1 .. L) and g_l (hidden l)
    int zd[max_layers + 1];
    int g[max_layers + 1];
    int staging;                // byte offset of the products' staging, 32-byte aligned
    int bytes;                  // dynamic shared memory in all
};

struct DenoisingIo {
    const float* x;      // [rows, D]
    const float* noise;  // eps [rows, D]
    const float* sigma;  // [rows]
    std::int64_t rows;
    bool scaled_by_noise;       // c = sigma (else 1)
    bool sigma_squared_weight;  // w = sigma^2 (else 1)
    float scale;                // kappa's factor (1 / the global batch's rows)
    float* residual;            // [rows, D]
    float* row_loss;            // [rows]: w / 2 |res|^2
    // Layer l = 0 .. L-1's factors of dW_l: a_l, ad_l [rows, widths[l]] (a_0 = x~, ad_0 = u),
    // delta_{l+1}, deltad_{l+1} [rows, widths[l + 1]].
    float* a[max_layers];
    float* ad[max_layers];
    float* delta[max_layers];
    float* deltad[max_layers];
};

// The plan for `rows` rows per block; returns the floats of the buffers.
inline long long lay_out(Tile& t, int rows) {
    long long floats = 0;
    for (int l = 1; l <= t.layers; ++l) {
        t.ld[l] = (t.widths[l] + 3) / 4 * 4;
        const long long size = static_cast<long long>(rows) * t.ld[l];
        t.z[l] = static_cast<int>(floats);
        t.zd[l] = static_cast<int>(floats + size);
        floats += 2 * size;
        t.g[l] = static_cast<int>(floats);
        if (l < t.layers) floats += size;
    }
    t.ld[0] = (t.widths[0] + 3) / 4 * 4;
    const long long staging = (floats * 4 + 31) / 32 * 32;
    t.staging = static_cast<int>(staging < (1 << 30) ? staging : (1 << 30));
    return floats;
}

inline Tile plan(const MlpLayers& mlp, int rows, Precision precision) {
    Tile t{};
    static_cast<TileModel&>(t) = tile_model(mlp);
    const long long floats = lay_out(t, rows);
    const long long bytes = (floats * 4 + 31) / 32 * 32 + block::staging_bytes(precision, rows);
    t.bytes = static_cast<int>(bytes < (1 << 30) ? bytes : (1 << 30));
    return t;
}

// Rows per block (16, 32 or 64: block::rows_per_block); 0 when the model has more than
// max_layers layers or 16 rows do not fit.
inline int rows_per_block(const MlpLayers& mlp, std::int64_t rows, const DeviceLimits& limits) {
    if (!tile_holds(mlp)) return 0;
    return block::rows_per_block(rows, limits, [&](int r) { return plan(mlp, r, mlp.precision).bytes; });
}

template <int ROWS, Precision P>
__device__ void denoising_tile(const Tile& t, const DenoisingIo& io, float* smem) {
    const std::int64_t first = static_cast<std::int64_t>(blockIdx.x) * ROWS;
    const int valid = static_cast<int>(io.rows - first < ROWS ? io.rows - first : ROWS);
    const int d = t.widths[0], layers = t.layers, k = t.widths[layers];
    auto* staging = reinterpret_cast<unsigned char*>(smem) + t.staging;
    auto act = [&](float z) { return activate(t.act, t.slope, z); };
    auto act1 = [&](float z) { return activate_grad(t.act, t.slope, z); };
    auto act2 = [&](float z) { return activate_grad2(t.act, t.slope, z); };
    // Writes [r][c .. c+3] of a [rows, cols] global matrix for the valid rows.
    auto store_rows = [&](float* out, int cols, int r, int c, const float* v) {
        if (r >= valid) return;
        float* row = out + (first + r) * cols;
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            if (c + j < cols) row[c + j] = v[j];
        }
    };
    auto noisy_at = [&](int r, int i) {
        if (r >= valid) return 0.0f;
        const std::int64_t at = (first + r) * d + i;
        return fmaf(io.sigma[first + r], io.noise[at], io.x[at]);
    };

    // The forward pass: z_l, and a_l for the weight products.
    for (int l = 0; l < layers; ++l) {
        float* out = smem + t.z[l + 1];
        const int ld = t.ld[l + 1], cols = t.widths[l + 1];
        const float* bias = t.b[l];
        const bool hidden = l + 1 < layers;
        auto store = [&](int r, int c, float v[4]) {
            float a[4];
#pragma unroll
            for (int j = 0; j < 4; ++j) {
                a[j] = 0.0f;
                if (c + j < cols) {
                    const float z = v[j] + bias[c + j];
                    out[r * ld + c + j] = z;
                    a[j] = act(z);
                }
            }
            if (hidden) store_rows(io.a[l + 1], cols, r, c, a);
        };
        if (l == 0) {
            block::gemm<ROWS, P, true>(staging, t.w[0], d, 0, cols, d, noisy_at, store);
        } else {
            const float* in = smem + t.z[l];
            const int ld_in = t.ld[l];
            auto activated = [&](int r, int i) { return act(in[r * ld_in + i]); };
            block::gemm<ROWS, P, true>(staging, t.w[l], t.widths[l], 0, cols, t.widths[l], activated, store);
        }
    }

    // The head, a warp per row: z_L <- delta_L = -softmax f (zeros beyond the batch).
    const int lane = threadIdx.x % 32;
    float* top = smem + t.z[layers];
    const int ld_top = t.ld[layers];
    for (int r = threadIdx.x / 32; r < ROWS; r += block::warps) {
        float* row = top + r * ld_top;
        if (r >= valid) {
            for (int j = lane; j < k; j += 32) row[j] = 0.0f;
            continue;
        }
        online_lse::OnlineLse state = online_lse::OnlineLse::identity();
        for (int j = lane; j < k; j += 32) state.add(row[j]);
        const float lse = online_lse::warp_merge<32>(state).result();
        for (int j = lane; j < k; j += 32) {
            row[j] = -expf(row[j] - lse);
            io.delta[layers - 1][(first + r) * k + j] = row[j];
        }
    }
    __syncthreads();

    // The backward pass: g_l (kept) and delta_l = g_l act'(z_l); its last product gives
    // g_0, so the residual.
    for (int l = layers - 1; l >= 0; --l) {
        const int cols = t.widths[l], inner = t.widths[l + 1], ld_next = t.ld[l + 1];
        const float* next_g = smem + (l + 1 == layers ? t.z[layers] : t.g[l + 1]);
        const float* next_z = smem + t.z[l + 1];
        const bool top_layer = l + 1 == layers;
        auto delta_at = [&](int r, int i) {
            const float v = next_g[r * ld_next + i];
            return top_layer ? v : v * act1(next_z[r * ld_next + i]);
        };
        if (l > 0) {
            float* g = smem + t.g[l];
            const float* z = smem + t.z[l];
            const int ld = t.ld[l];
            auto store = [&](int r, int c, float v[4]) {
                float delta[4];
#pragma unroll
                for (int j = 0; j < 4; ++j) {
                    delta[j] = 0.0f;
                    if (c + j < cols) {
                        g[r * ld + c + j] = v[j];
                        delta[j] = v[j] * act1(z[r * ld + c + j]);
                    }
                }
                store_rows(io.delta[l - 1], cols, r, c, delta);
            };
            block::gemm<ROWS, P, false>(staging, t.w[l], cols, 0, cols, inner, delta_at, store);
        } else {
            auto residual = [&](int r, int c, float v[4]) {
                if (r >= valid) return;
                const float s = io.sigma[first + r], c_r = io.scaled_by_noise ? s : 1.0f;
#pragma unroll
                for (int j = 0; j < 4; ++j) {
                    if (c + j < cols) {
                        const std::int64_t at = (first + r) * d + c + j;
                        io.residual[at] = -v[j] / c_r + io.noise[at] / s;
                    }
                }
            };
            block::gemm<ROWS, P, false>(staging, t.w[0], cols, 0, cols, inner, delta_at, residual);
        }
    }

    // A warp per row: the row's loss, and the tangent u = kappa res with x~ as a_0.
    for (int r = threadIdx.x / 32; r < valid; r += block::warps) {
        const float s = io.sigma[first + r], c_r = io.scaled_by_noise ? s : 1.0f;
        const float w = io.sigma_squared_weight ? s * s : 1.0f, kappa = -w / c_r * io.scale;
        float sq = 0.0f;
        for (int i = lane; i < d; i += 32) {
            const std::int64_t at = (first + r) * d + i;
            const float res = io.residual[at];
            sq += res * res;
            io.ad[0][at] = kappa * res;
            io.a[0][at] = noisy_at(r, i);
        }
        sq = warp_sum(sq);
        if (lane == 0) io.row_loss[first + r] = 0.5f * w * sq;
    }
    __syncthreads();

    // The tangent forward pass: zd_l, and ad_l for the weight products.
    for (int l = 0; l < layers; ++l) {
        float* out = smem + t.zd[l + 1];
        const int ld = t.ld[l + 1], cols = t.widths[l + 1];
        const float* z = smem + t.z[l + 1];
        const bool hidden = l + 1 < layers;
        auto store = [&](int r, int c, float v[4]) {
            float ad[4];
#pragma unroll
            for (int j = 0; j < 4; ++j) {
                ad[j] = 0.0f;
                if (c + j < cols) {
                    out[r * ld + c + j] = v[j];
                    if (hidden) ad[j] = act1(z[r * ld + c + j]) * v[j];
                }
            }
            if (hidden) store_rows(io.ad[l + 1], cols, r, c, ad);
        };
        if (l == 0) {
            const float* u = io.ad[0];
            auto u_at = [&](int r, int i) { return r < valid ? u[(first + r) * d + i] : 0.0f; };
            block::gemm<ROWS, P, true>(staging, t.w[0], d, 0, cols, d, u_at, store);
        } else {
            const float* zin = smem + t.z[l];
            const float* zdin = smem + t.zd[l];
            const int ld_in = t.ld[l];
            auto tangent = [&](int r, int i) { return act1(zin[r * ld_in + i]) * zdin[r * ld_in + i]; };
            block::gemm<ROWS, P, true>(staging, t.w[l], t.widths[l], 0, cols, t.widths[l], tangent, store);
        }
    }

    // The tangent head, a warp per row: zd_L <- deltad_L = -p (fd - p . fd), p = -delta_L.
    float* top_d = smem + t.zd[layers];
    for (int r = threadIdx.x / 32; r < ROWS; r += block::warps) {
        float* row = top_d + r * ld_top;
        const float* delta = top + r * ld_top;
        if (r >= valid) {
            for (int j = lane; j < k; j += 32) row[j] = 0.0f;
            continue;
        }
        float dot = 0.0f;
        for (int j = lane; j < k; j += 32) dot += -delta[j] * row[j];
        dot = warp_sum(dot);
        for (int j = lane; j < k; j += 32) {
            row[j] = delta[j] * (row[j] - dot);
            io.deltad[layers - 1][(first + r) * k + j] = row[j];
        }
    }
    __syncthreads();

    // The tangent backward pass: deltad_l in place of zd_l.
    for (int l = layers - 1; l >= 1; --l) {
        const int cols = t.widths[l], inner = t.widths[l + 1], ld_next = t.ld[l + 1], ld = t.ld[l];
        const float* next = smem + t.zd[l + 1];
        auto deltad_at = [&](int r, int i) { return next[r * ld_next + i]; };
        float* zd = smem + t.zd[l];
        const float* z = smem + t.z[l];
        const float* g = smem + t.g[l];
        auto store = [&](int r, int c, float v[4]) {
            float dd[4];
#pragma unroll
            for (int j = 0; j < 4; ++j) {
                dd[j] = 0.0f;
                if (c + j < cols) {
                    const int at = r * ld + c + j;
                    const float zv = z[at];
                    dd[j] = v[j] * act1(zv) + g[at] * act2(zv) * zd[at];
                    zd[at] = dd[j];
                }
            }
            store_rows(io.deltad[l - 1], cols, r, c, dd);
        };
        block::gemm<ROWS, P, false>(staging, t.w[l], cols, 0, cols, inner, deltad_at, store);
    }
}

}  // namespace ebmkit::kernels::score_fused
