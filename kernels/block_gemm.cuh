// One thread block's matrix product C = A B for a tile of ROWS rows, the building block
// of the fused MLP kernels, the fused Langevin chain and the RBM Gibbs kernels:
//   C[r][c] = sum_k A(r, k) B(k, c),  0 <= r < ROWS,  col_begin <= c < col_end,  0 <= k < inner
// A is read through a functor (shared or global memory, with a transform such as the
// activation applied on the way), B is a row-major float32 weight matrix in global
// memory (L2), either W[c][k] (B = W^T, a forward layer) or W[k][c] (B = W, a backward
// layer). The epilogue functor receives each row's results four columns at a time,
// starting at a multiple of 4, so one Philox block can serve one call.
//
// Strategy: column tiles of 64; the inner dimension streamed 32 at a time, A and B
// staged in shared memory already converted to the compute type (so the activation
// is applied once per element per column tile, and BF16 operands are packed once).
//   Fp32: SIMT, each of the 256 threads a (ROWS / 16) x 4 register tile.
//   Tf32, Bf16: WMMA tensor-core fragments 16 x 16 (x 8 or x 16), FP32 accumulators,
//   stored to a shared tile for the epilogue.
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <mma.h>

#include <cstdint>
#include <string>
#include <type_traits>

#include "ebmkit/context.hpp"
#include "kernels/cuda_check.hpp"
#include "kernels/launch_shape.hpp"

namespace ebmkit::kernels::block {

constexpr int threads = 256, warps = threads / 32;
constexpr int tile_cols = 64, tile_inner = 32;

template <Precision P>
struct Operand;
template <>
struct Operand<Precision::Fp32> {
    using type = float;
    static constexpr int pad = 1;  // odd strides keep the transposed stores free of bank conflicts
    __device__ static float from(float v) { return v; }
};
template <>
struct Operand<Precision::Tf32> {
    using type = float;
    using fragment = nvcuda::wmma::precision::tf32;
    static constexpr int pad = 4, fragment_inner = 8;  // WMMA wants strides of 16 bytes
    __device__ static float from(float v) { return nvcuda::wmma::__float_to_tf32(v); }
};
template <>
struct Operand<Precision::Bf16> {
    using type = __nv_bfloat16;
    using fragment = __nv_bfloat16;
    static constexpr int pad = 8;
    static constexpr int fragment_inner = 16;
    __device__ static __nv_bfloat16 from(float v) { return __float2bfloat16_rn(v); }
};

constexpr int round_up(int v, int to) { return (v + to - 1) / to * to; }

// Shared-memory staging of one product, in bytes; every part starts 32-byte aligned
// as WMMA requires.
template <int ROWS, Precision P>
struct Staging {
    using T = typename Operand<P>::type;
    static constexpr int pad = Operand<P>::pad;
    static constexpr int a_ld = tile_inner + pad;  // A tile [ROWS][a_ld]
    static constexpr int b_forward_ld = tile_inner + pad, b_backward_ld = tile_cols + pad;
    static constexpr int a_bytes = round_up(ROWS * a_ld * static_cast<int>(sizeof(T)), 32);
    static constexpr int b_bytes =
        round_up((tile_cols * b_forward_ld > tile_inner * b_backward_ld ? tile_cols * b_forward_ld
                                                                         : tile_inner * b_backward_ld) *
                     static_cast<int>(sizeof(T)),
                 32);
    static constexpr int c_ld = tile_cols + 4;  // accumulator tile [ROWS][c_ld] (tensor-core paths)
    static constexpr int c_bytes = P == Precision::Fp32 ? 0 : ROWS * c_ld * 4;
    static constexpr int bytes = a_bytes + b_bytes + c_bytes;
};

// The compile-time tile heights and precisions behind a runtime choice: f receives
// std::integral_constant<int, ROWS> (16, 32 or 64) or std::integral_constant<Precision, P>.
template <class F>
decltype(auto) with_rows(int rows, F&& f) {
    switch (rows) {
        case 16: return f(std::integral_constant<int, 16>{});
        case 32: return f(std::integral_constant<int, 32>{});
        case 64: return f(std::integral_constant<int, 64>{});
    }
    throw Error("block tiles: " + std::to_string(rows) + " rows per block (16, 32 or 64)");
}

template <class F>
decltype(auto) with_precision(Precision p, F&& f) {
    switch (p) {
        case Precision::Fp32: return f(std::integral_constant<Precision, Precision::Fp32>{});
        case Precision::Tf32: return f(std::integral_constant<Precision, Precision::Tf32>{});
        case Precision::Bf16: return f(std::integral_constant<Precision, Precision::Bf16>{});
    }
    throw Error("block tiles: unknown precision " + std::to_string(static_cast<int>(p)));
}

inline int staging_bytes(Precision p, int rows) {
    return with_precision(p, [&](auto precision) {
        return with_rows(rows, [](auto r) { return Staging<decltype(r)::value, decltype(precision)::value>::bytes; });
    });
}

// Rows per block for `rows` rows when a block of r rows needs bytes_for(r) bytes of shared
// memory: the largest of 16, 32, 64 that fits and still gives every multiprocessor a
// block; 0 when not even 16 rows fit (the caller falls back).
template <class BytesFor>
int rows_per_block(std::int64_t rows, const DeviceLimits& limits, BytesFor bytes_for) {
    int chosen = 0;
    for (int r : {16, 32, 64}) {
        if (bytes_for(r) > limits.shared_bytes) break;
        if (chosen == 0 || (rows + r - 1) / r >= limits.multiprocessors) chosen = r;
    }
    return chosen;
}

// FORWARD: B(k, c) = w[c * inner + k] (w is [cols, inner]); otherwise B(k, c) = w[k * ld_w + c]
// (w is [inner, ld_w]). The caller keeps `staging` (Staging<ROWS, P>::bytes, 32-byte
// aligned) to this product and has synchronised the block since A's source was written;
// on return the epilogue's writes are visible to the whole block.
template <int ROWS, Precision P, bool FORWARD, class ALoad, class Epilogue>
__device__ void gemm(unsigned char* staging, const float* __restrict__ w, int ld_w, int col_begin, int col_end,
                     int inner, ALoad a_at, Epilogue epilogue) {
    static_assert(ROWS % 16 == 0 && ROWS <= 64, "ROWS is 16, 32 or 64");
    using S = Staging<ROWS, P>;
    using T = typename S::T;
    T* a_tile = reinterpret_cast<T*>(staging);
    T* b_tile = reinterpret_cast<T*>(staging + S::a_bytes);
    const int tid = threadIdx.x;

    auto stage = [&](int c0, int k0) {
        for (int e = tid; e < ROWS * tile_inner; e += threads) {
            const int r = e / tile_inner, k = e % tile_inner;
            a_tile[r * S::a_ld + k] = Operand<P>::from(k0 + k < inner ? a_at(r, k0 + k) : 0.0f);
        }
        for (int e = tid; e < tile_cols * tile_inner; e += threads) {
            if constexpr (FORWARD) {  // b_tile[c][k], read along k
                const int c = e / tile_inner, k = e % tile_inner;
                const bool inside = c0 + c < col_end && k0 + k < inner;
                b_tile[c * S::b_forward_ld + k] =
                    Operand<P>::from(inside ? w[static_cast<long long>(c0 + c) * ld_w + k0 + k] : 0.0f);
            } else {  // b_tile[k][c], read along c
                const int k = e / tile_cols, c = e % tile_cols;
                const bool inside = c0 + c < col_end && k0 + k < inner;
                b_tile[k * S::b_backward_ld + c] =
                    Operand<P>::from(inside ? w[static_cast<long long>(k0 + k) * ld_w + c0 + c] : 0.0f);
            }
        }
        __syncthreads();
    };

    if constexpr (P == Precision::Fp32) {
        constexpr int rows_per_thread = ROWS / 16;
        const int tx = tid % 16, ty = tid / 16;
        for (int c0 = col_begin; c0 < col_end; c0 += tile_cols) {
            float acc[rows_per_thread][4] = {};
            for (int k0 = 0; k0 < inner; k0 += tile_inner) {
                stage(c0, k0);
#pragma unroll 8
                for (int k = 0; k < tile_inner; ++k) {
                    float a[rows_per_thread], b[4];
#pragma unroll
                    for (int i = 0; i < rows_per_thread; ++i) a[i] = a_tile[(ty * rows_per_thread + i) * S::a_ld + k];
#pragma unroll
                    for (int j = 0; j < 4; ++j) {
                        b[j] = FORWARD ? b_tile[(tx * 4 + j) * S::b_forward_ld + k] : b_tile[k * S::b_backward_ld + tx * 4 + j];
                    }
#pragma unroll
                    for (int i = 0; i < rows_per_thread; ++i) {
#pragma unroll
                        for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
                    }
                }
                __syncthreads();
            }
#pragma unroll
            for (int i = 0; i < rows_per_thread; ++i) epilogue(ty * rows_per_thread + i, c0 + tx * 4, acc[i]);
        }
    } else {
        namespace wmma = nvcuda::wmma;
        using F = typename Operand<P>::fragment;
        constexpr int kf = Operand<P>::fragment_inner;
        constexpr int fragments = ROWS / 16 * (tile_cols / 16);
        constexpr int per_warp = (fragments + warps - 1) / warps;
        using BLayout = std::conditional_t<FORWARD, wmma::col_major, wmma::row_major>;
        float* c_tile = reinterpret_cast<float*>(staging + S::a_bytes + S::b_bytes);
        const int warp = tid / 32;
        for (int c0 = col_begin; c0 < col_end; c0 += tile_cols) {
            wmma::fragment<wmma::accumulator, 16, 16, kf, float> acc[per_warp];
#pragma unroll
            for (int q = 0; q < per_warp; ++q) wmma::fill_fragment(acc[q], 0.0f);
            for (int k0 = 0; k0 < inner; k0 += tile_inner) {
                stage(c0, k0);
#pragma unroll
                for (int kk = 0; kk < tile_inner; kk += kf) {
#pragma unroll
                    for (int q = 0; q < per_warp; ++q) {
                        const int f = warp + q * warps;
                        if (f >= fragments) break;
                        const int fr = f / (tile_cols / 16), fc = f % (tile_cols / 16);
                        wmma::fragment<wmma::matrix_a, 16, 16, kf, F, wmma::row_major> a;
                        wmma::fragment<wmma::matrix_b, 16, 16, kf, F, BLayout> b;
                        wmma::load_matrix_sync(a, a_tile + fr * 16 * S::a_ld + kk, S::a_ld);
                        if constexpr (FORWARD) wmma::load_matrix_sync(b, b_tile + fc * 16 * S::b_forward_ld + kk, S::b_forward_ld);
                        else wmma::load_matrix_sync(b, b_tile + kk * S::b_backward_ld + fc * 16, S::b_backward_ld);
                        wmma::mma_sync(acc[q], a, b, acc[q]);
                    }
                }
                __syncthreads();
            }
#pragma unroll
            for (int q = 0; q < per_warp; ++q) {
                const int f = warp + q * warps;
                if (f >= fragments) break;
                const int fr = f / (tile_cols / 16), fc = f % (tile_cols / 16);
                wmma::store_matrix_sync(c_tile + fr * 16 * S::c_ld + fc * 16, acc[q], S::c_ld, wmma::mem_row_major);
            }
            __syncthreads();
            for (int g = tid; g < ROWS * tile_cols / 4; g += threads) {
                const int r = g / (tile_cols / 4), c = g % (tile_cols / 4) * 4;
                float v[4];
#pragma unroll
                for (int j = 0; j < 4; ++j) v[j] = c_tile[r * S::c_ld + c + j];
                epilogue(r, c0 + c, v);
            }
        }
    }
    __syncthreads();
}

}  // namespace ebmkit::kernels::block
