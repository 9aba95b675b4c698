// Bernoulli RBM conditionals, Gibbs half-sweeps and free energy as one tiled matrix
// product with the nonlinearity, the Philox draw and the Bernoulli decision fused
// into its epilogue:
//   hidden:  z = c + v W      (v [N, D], W [D, M])        p(h = 1 | v) = sigm(z)
//   visible: z = b + h W^T    (h [N, M], W^T read from W)  p(v = 1 | h) = sigm(z)
//   sample:  1 when u <= sigm(z), u = Philox uniform (seed, purpose, chain = row, step, unit)
//   free energy: f = -b^T v - sum_j softplus(c_j + v^T W_:j)
//
// Launch strategy: 64 x 64 output tiles, 256 threads, each thread a 4 x 4 register
// tile of 4 consecutive units, so one 128-bit Philox block covers a thread's four
// draws in a row; the inner dimension is streamed through shared memory 16 at a
// time. FP32 SIMT arithmetic (exact for the 0/1 states). The weight-gradient outer
// products of CD go to cuBLAS.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>

#include "kernels/cuda_check.hpp"
#include "kernels/philox_device.cuh"
#include "kernels/rbm.hpp"

namespace ebmkit::kernels {

namespace {

constexpr int tile_rows = 64, tile_cols = 64, tile_inner = 16, threads = 256;

enum class Epilogue { Probability, Sample, NegSoftplusSum };

struct GemmParams {
    const float* a;     // [rows, inner] row-major
    const float* w;     // TRANSPOSED ? [cols, inner] : [inner, cols], row-major
    const float* bias;  // [cols]
    float* out;         // [rows, cols], or [rows] for NegSoftplusSum (accumulated)
    std::int64_t rows;
    int cols, inner;
    std::uint64_t seed;
    std::uint32_t step;
    RngPurpose purpose;
};

__device__ __forceinline__ float sigmoid(float z) { return 1.0f / (1.0f + expf(-z)); }
__device__ __forceinline__ float softplus(float z) { return fmaxf(z, 0.0f) + log1pf(expf(-fabsf(z))); }

template <bool TRANSPOSED, Epilogue EPILOGUE>
__global__ void __launch_bounds__(threads) rbm_gemm(GemmParams p) {
    __shared__ float a_tile[tile_inner][tile_rows];
    __shared__ float w_tile[tile_inner][tile_cols + 4];  // padding eases the transposed stores
    const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
    const std::int64_t row0 = static_cast<std::int64_t>(blockIdx.y) * tile_rows;
    const int col0 = blockIdx.x * tile_cols;
    float acc[4][4] = {};
    for (int k0 = 0; k0 < p.inner; k0 += tile_inner) {
        for (int e = tid; e < tile_rows * tile_inner; e += threads) {
            const int r = e / tile_inner, k = e % tile_inner;
            const std::int64_t row = row0 + r;
            a_tile[k][r] = row < p.rows && k0 + k < p.inner ? p.a[row * p.inner + k0 + k] : 0.0f;
        }
        for (int e = tid; e < tile_cols * tile_inner; e += threads) {
            int k, c;
            if constexpr (TRANSPOSED) c = e / tile_inner, k = e % tile_inner;
            else k = e / tile_cols, c = e % tile_cols;
            const bool inside = col0 + c < p.cols && k0 + k < p.inner;
            const std::int64_t at = TRANSPOSED ? static_cast<std::int64_t>(col0 + c) * p.inner + k0 + k
                                               : static_cast<std::int64_t>(k0 + k) * p.cols + col0 + c;
            w_tile[k][c] = inside ? p.w[at] : 0.0f;
        }
        __syncthreads();
#pragma unroll
        for (int k = 0; k < tile_inner; ++k) {
            float a[4], w[4];
#pragma unroll
            for (int i = 0; i < 4; ++i) a[i] = a_tile[k][ty * 4 + i];
#pragma unroll
            for (int j = 0; j < 4; ++j) w[j] = w_tile[k][tx * 4 + j];
#pragma unroll
            for (int i = 0; i < 4; ++i) {
#pragma unroll
                for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(a[i], w[j], acc[i][j]);
            }
        }
        __syncthreads();
    }
    const int col = col0 + tx * 4;  // a multiple of 4: one Philox block per row
#pragma unroll
    for (int i = 0; i < 4; ++i) {
        const std::int64_t row = row0 + ty * 4 + i;
        if (row >= p.rows) continue;
        float u[4];
        if constexpr (EPILOGUE == Epilogue::Sample) {
            uniform4(philox_block(p.seed, p.purpose, static_cast<std::uint32_t>(row), p.step,
                                  static_cast<std::uint32_t>(col / 4)),
                     u);
        }
        float softplus_sum = 0.0f;
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            if (col + j >= p.cols) continue;
            const float z = acc[i][j] + p.bias[col + j];
            if constexpr (EPILOGUE == Epilogue::Probability) p.out[row * p.cols + col + j] = sigmoid(z);
            if constexpr (EPILOGUE == Epilogue::Sample) p.out[row * p.cols + col + j] = u[j] <= sigmoid(z) ? 1.0f : 0.0f;
            if constexpr (EPILOGUE == Epilogue::NegSoftplusSum) softplus_sum += softplus(z);
        }
        if constexpr (EPILOGUE == Epilogue::NegSoftplusSum) atomicAdd(p.out + row, -softplus_sum);
    }
}

// f[r] = -b^T v_r: a warp per row.
__global__ void negative_visible_bias_dot(const float* __restrict__ v, const float* __restrict__ b, std::int64_t rows,
                                          int d, float* __restrict__ f) {
    const std::int64_t row = (static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
    const int lane = threadIdx.x % 32;
    if (row >= rows) return;
    float s = 0.0f;
    for (int i = lane; i < d; i += 32) s += v[row * d + i] * b[i];
    for (int offset = 16; offset > 0; offset /= 2) s += __shfl_xor_sync(0xffffffffu, s, offset);
    if (lane == 0) f[row] = -s;
}

__global__ void column_sums(const float* __restrict__ x, std::int64_t rows, std::int64_t cols, float scale,
                            bool accumulate, float* __restrict__ out) {
    const std::int64_t col = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (col >= cols) return;
    float s = 0.0f;
    for (std::int64_t r = 0; r < rows; ++r) s += x[r * cols + col];
    out[col] = (accumulate ? out[col] : 0.0f) + scale * s;
}

template <bool TRANSPOSED, Epilogue EPILOGUE>
void launch(const GemmParams& p, cudaStream_t stream) {
    const dim3 grid((p.cols + tile_cols - 1) / tile_cols, static_cast<unsigned>((p.rows + tile_rows - 1) / tile_rows));
    rbm_gemm<TRANSPOSED, EPILOGUE><<<grid, threads, 0, stream>>>(p);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
}

template <bool TRANSPOSED>
void launch_units(const GemmParams& p, RbmUnits units, cudaStream_t stream) {
    if (units == RbmUnits::Samples) launch<TRANSPOSED, Epilogue::Sample>(p, stream);
    else launch<TRANSPOSED, Epilogue::Probability>(p, stream);
}

}  // namespace

void rbm_hidden(const RbmDevice& rbm, const float* v, std::int64_t rows, float* out, RbmUnits units,
                std::uint64_t seed, std::uint32_t step, CUstream_st* stream) {
    const GemmParams p{v, rbm.w, rbm.c, out, rows, static_cast<int>(rbm.hidden), static_cast<int>(rbm.visible),
                       seed, step, RngPurpose::GibbsHidden};
    launch_units<false>(p, units, stream);
}

void rbm_visible(const RbmDevice& rbm, const float* h, std::int64_t rows, float* out, RbmUnits units,
                 std::uint64_t seed, std::uint32_t step, CUstream_st* stream) {
    const GemmParams p{h, rbm.w, rbm.b, out, rows, static_cast<int>(rbm.visible), static_cast<int>(rbm.hidden),
                       seed, step, RngPurpose::GibbsVisible};
    launch_units<true>(p, units, stream);
}

void rbm_free_energy(const RbmDevice& rbm, const float* v, std::int64_t rows, float* f, CUstream_st* stream) {
    constexpr int block = 256;
    const auto blocks = static_cast<unsigned>((rows * 32 + block - 1) / block);
    negative_visible_bias_dot<<<blocks, block, 0, stream>>>(v, rbm.b, rows, static_cast<int>(rbm.visible), f);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
    const GemmParams p{v, rbm.w, rbm.c, f, rows, static_cast<int>(rbm.hidden), static_cast<int>(rbm.visible), 0, 0,
                       RngPurpose::GibbsHidden};
    launch<false, Epilogue::NegSoftplusSum>(p, stream);
}

void scaled_column_sums(const float* x, std::int64_t rows, std::int64_t cols, float scale, bool accumulate, float* out,
                        CUstream_st* stream) {
    constexpr int block = 256;
    column_sums<<<static_cast<unsigned>((cols + block - 1) / block), block, 0, stream>>>(x, rows, cols, scale,
                                                                                          accumulate, out);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
}

void outer_product_sum(cublasContext* cublas, const float* v, const float* ph, std::int64_t rows, std::int64_t d,
                       std::int64_t m, float scale, bool accumulate, bool tensor_cores, float* dw) {
    // Row-major dw [D, M] is column-major dw^T [M, D] = ph^T [M, N] * v [N, D].
    EBMKIT_CUBLAS_CHECK(cublasSetMathMode(cublas, tensor_cores ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_PEDANTIC_MATH));
    const float beta = accumulate ? 1.0f : 0.0f;
    EBMKIT_CUBLAS_CHECK(cublasSgemm(cublas, CUBLAS_OP_N, CUBLAS_OP_T, static_cast<int>(m), static_cast<int>(d),
                                    static_cast<int>(rows), &scale, ph, static_cast<int>(m), v, static_cast<int>(d),
                                    &beta, dw, static_cast<int>(m)));
}

}  // namespace ebmkit::kernels
