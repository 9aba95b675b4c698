// Bernoulli RBM conditionals, Gibbs half-sweeps and free energy as one tiled matrix
// product with the nonlinearity, the Philox draw and the Bernoulli decision fused
// into its epilogue:
//   hidden:  z = c + v W      (v [N, D], W [D, M])        p(h = 1 | v) = sigm(z)
//   visible: z = b + h W^T    (h [N, M], W^T read from W)  p(v = 1 | h) = sigm(z)
//   sample:  1 when u <= sigm(z), u = Philox uniform (seed, purpose, chain = row, step, unit)
//   free energy: f = -b^T v - sum_j softplus(c_j + v^T W_:j)
//   AIS (Salakhutdinov & Murray 2008), intermediate distribution beta:
//     hidden  p(h = 1 | v) = sigm(beta x),  x = c + v W, and the log-weight increment
//             sum_j softplus(beta_k x_j) - softplus(beta_{k-1} x_j) (+ the visible term below)
//     visible p(v = 1 | h) = sigm((1 - beta) b_A + beta (b + h W^T))
//
// Launch strategy: each product is a kernels::block::gemm of a 64-row x 64-column
// output tile per block (FP32 SIMT, or TF32 / BF16 tensor cores at the context's
// precision: the 0/1 states are exact in any of them, only the weights are rounded),
// the sigmoid, the Philox draw (one 128-bit block per four units of a row) and the
// Bernoulli decision in its epilogue. k Gibbs sweeps of up to a few thousand units
// run in one launch that keeps each block's chains, v and h, in shared memory
// throughout (rbm_gibbs_chain). The weight-gradient outer products of CD go to cuBLAS.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <string>
#include <tuple>

#include "kernels/cuda_check.hpp"
#include "kernels/gemm.hpp"
#include "kernels/rbm.cuh"
#include "kernels/rbm.hpp"

namespace ebmkit::kernels {

namespace {

using namespace rbm_body;

template <Precision P, bool TRANSPOSED, Epilogue EPILOGUE>
__global__ void __launch_bounds__(threads) rbm_gemm(GemmParams p) {
    __shared__ __align__(128) unsigned char staging[block::Staging<tile_rows, P>::bytes];
    rbm_gemm_tile<P, TRANSPOSED, EPILOGUE>(p, staging);
}

template <int ROWS, Precision P>
__global__ void __launch_bounds__(threads) rbm_gibbs_chain(RbmDevice rbm, float* v, float* h, std::int64_t rows,
                                                           std::uint64_t seed, std::uint32_t first_step, int sweeps,
                                                           int ld_v, int ld_h) {
    extern __shared__ __align__(128) unsigned char shared[];
    rbm_gibbs_chain_tile<ROWS, P>(rbm, v, h, rows, seed, first_step, sweeps, ld_v, ld_h, shared);
}

__device__ __forceinline__ double softplus_d(double z) { return fmax(z, 0.0) + log1p(exp(-fabs(z))); }

// Pseudo-log-likelihood, a block per row: x = c + v W and softplus(x) in shared memory
// (double, as the CPU reference), then a warp per flipped bit i:
//   F(v') - F(v) = -b_i delta - sum_j [softplus(x_j + delta W_ij) - softplus(x_j)],  delta = 1 - 2 v_i
//   log p(v_i | v_-i) = log sigm(F(v') - F(v)).
__global__ void pseudo_log_likelihood_rows(RbmDevice rbm, const float* __restrict__ v, float* __restrict__ out) {
    extern __shared__ double pl_shared[];
    const int d = static_cast<int>(rbm.visible), m = static_cast<int>(rbm.hidden);
    double* x = pl_shared;
    double* sp = pl_shared + m;
    __shared__ double warp_sums[threads / 32];
    const float* vr = v + static_cast<std::int64_t>(blockIdx.x) * d;
    for (int j = threadIdx.x; j < m; j += threads) {
        double acc = rbm.c[j];
        for (int i = 0; i < d; ++i) acc += static_cast<double>(vr[i]) * rbm.w[static_cast<std::int64_t>(i) * m + j];
        x[j] = acc;
        sp[j] = softplus_d(acc);
    }
    __syncthreads();
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    double pl = 0.0;
    for (int i = warp; i < d; i += threads / 32) {
        const double delta = vr[i] != 0.0f ? -1.0 : 1.0;
        const float* wi = rbm.w + static_cast<std::int64_t>(i) * m;
        double change = 0.0;
        for (int j = lane; j < m; j += 32) change += softplus_d(x[j] + delta * wi[j]) - sp[j];
        for (int o = 16; o > 0; o /= 2) change += __shfl_xor_sync(0xffffffffu, change, o);
        pl -= softplus_d(static_cast<double>(rbm.b[i]) * delta + change);  // log sigm(F(v') - F(v))
    }
    if (lane == 0) warp_sums[warp] = pl;
    __syncthreads();
    if (threadIdx.x == 0) {
        double total = 0.0;
        for (int w = 0; w < threads / 32; ++w) total += warp_sums[w];
        out[blockIdx.x] = static_cast<float>(total);
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

// log_w[r] += delta * (b - b_A)^T v_r, in double: a warp per row.
__global__ void ais_visible_term(const float* __restrict__ v, const float* __restrict__ b, const float* __restrict__ base,
                                 std::int64_t rows, int d, double delta, double* __restrict__ log_w) {
    const std::int64_t row = (static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
    const int lane = threadIdx.x % 32;
    if (row >= rows) return;
    double s = 0.0;
    for (int i = lane; i < d; i += 32) s += static_cast<double>(v[row * d + i]) * (static_cast<double>(b[i]) - base[i]);
    for (int offset = 16; offset > 0; offset /= 2) s += __shfl_xor_sync(0xffffffffu, s, offset);
    if (lane == 0) log_w[row] += delta * s;
}

// v[r, i] ~ Bernoulli(sigm(base_i)), keyed (seed, ChainInit, chain r, step 0, i).
__global__ void base_rate_samples(const float* __restrict__ base, std::int64_t rows, int d, std::uint64_t seed,
                                  float* __restrict__ v) {
    const int blocks_per_row = (d + 3) / 4;
    const std::int64_t t = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (t >= rows * blocks_per_row) return;
    const std::int64_t row = t / blocks_per_row;
    const int block = static_cast<int>(t % blocks_per_row);
    float u[4];
    uniform4(philox_block(seed, RngPurpose::ChainInit, static_cast<std::uint32_t>(row), 0, block), u);
    for (int j = 0; j < 4 && block * 4 + j < d; ++j) v[row * d + block * 4 + j] = u[j] <= sigmoid(base[block * 4 + j]) ? 1.0f : 0.0f;
}

// bits[r, e] = bit e of (first + r): the configurations of n enumerated units.
__global__ void configuration_bits(std::uint64_t first, std::int64_t count, int n, float* __restrict__ bits) {
    const std::int64_t t = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (t >= count * n) return;
    const std::uint64_t config = first + static_cast<std::uint64_t>(t / n);
    bits[t] = static_cast<float>((config >> (t % n)) & 1u);
}

__global__ void negate(float* __restrict__ x, std::int64_t n) {
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < n) x[i] = -x[i];
}

template <Precision P, bool TRANSPOSED, Epilogue EPILOGUE>
void launch_at(const GemmParams& p, cudaStream_t stream) {
    constexpr std::int64_t max_rows = std::int64_t{65535} * tile_rows;  // gridDim.y limit
    if (p.rows > max_rows) {
        throw Error("rbm kernels: " + std::to_string(p.rows) + " rows exceed the " + std::to_string(max_rows) +
                    " one launch covers");
    }
    const dim3 grid((p.cols + block::tile_cols - 1) / block::tile_cols,
                    static_cast<unsigned>((p.rows + tile_rows - 1) / tile_rows));
    rbm_gemm<P, TRANSPOSED, EPILOGUE><<<grid, threads, 0, stream>>>(p);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
}

template <bool TRANSPOSED, Epilogue EPILOGUE>
void launch(const GemmParams& p, Precision precision, cudaStream_t stream) {
    block::with_precision(precision, [&](auto at) { launch_at<decltype(at)::value, TRANSPOSED, EPILOGUE>(p, stream); });
}

template <bool TRANSPOSED>
void launch_units(const GemmParams& p, RbmUnits units, Precision precision, cudaStream_t stream) {
    if (units == RbmUnits::Samples) launch<TRANSPOSED, Epilogue::Sample>(p, precision, stream);
    else launch<TRANSPOSED, Epilogue::Probability>(p, precision, stream);
}

// Shared memory of the on-chip chain kernel for ROWS chains.
int chain_bytes(const RbmDevice& rbm, int rows) {
    const long long states = static_cast<long long>(rows) *
                             (block::round_up(static_cast<int>(rbm.visible), 4) + block::round_up(static_cast<int>(rbm.hidden), 4)) * 4;
    const long long bytes = (states + 31) / 32 * 32 + block::staging_bytes(rbm.precision, rows);
    return static_cast<int>(std::min<long long>(bytes, 1 << 30));
}

template <int ROWS, Precision P>
void launch_chain(const RbmDevice& rbm, float* v, float* h, std::int64_t rows, std::uint64_t seed,
                  std::uint32_t first_step, int sweeps, cudaStream_t stream) {
    const auto kernel = rbm_gibbs_chain<ROWS, P>;
    const int bytes = chain_bytes(rbm, ROWS);
    EBMKIT_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes));
    kernel<<<static_cast<unsigned>((rows + ROWS - 1) / ROWS), threads, bytes, stream>>>(
        rbm, v, h, rows, seed, first_step, sweeps, block::round_up(static_cast<int>(rbm.visible), 4),
        block::round_up(static_cast<int>(rbm.hidden), 4));
    EBMKIT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace

void rbm_hidden(const RbmDevice& rbm, const float* v, std::int64_t rows, float* out, RbmUnits units,
                std::uint64_t seed, std::uint32_t step, CUstream_st* stream) {
    const GemmParams p{v, rbm.w, rbm.c, out, rows, static_cast<int>(rbm.hidden), static_cast<int>(rbm.visible),
                       seed, step, RngPurpose::GibbsHidden};
    launch_units<false>(p, units, rbm.precision, stream);
}

void rbm_visible(const RbmDevice& rbm, const float* h, std::int64_t rows, float* out, RbmUnits units,
                 std::uint64_t seed, std::uint32_t step, CUstream_st* stream) {
    const GemmParams p{h, rbm.w, rbm.b, out, rows, static_cast<int>(rbm.visible), static_cast<int>(rbm.hidden),
                       seed, step, RngPurpose::GibbsVisible};
    launch_units<true>(p, units, rbm.precision, stream);
}

void rbm_free_energy(const RbmDevice& rbm, const float* v, std::int64_t rows, float* f, CUstream_st* stream) {
    constexpr int block = 256;
    const auto blocks = static_cast<unsigned>((rows * 32 + block - 1) / block);
    negative_visible_bias_dot<<<blocks, block, 0, stream>>>(v, rbm.b, rows, static_cast<int>(rbm.visible), f);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
    const GemmParams p{v, rbm.w, rbm.c, f, rows, static_cast<int>(rbm.hidden), static_cast<int>(rbm.visible), 0, 0,
                       RngPurpose::GibbsHidden};
    launch<false, Epilogue::NegSoftplusSum>(p, rbm.precision, stream);
}

void rbm_ais(const RbmDevice& rbm, const float* base_b, std::int64_t runs, const double* betas, std::int64_t count,
             std::uint64_t seed, float* v, float* h, double* log_w, CUstream_st* stream) {
    constexpr int block = 256;
    const int d = static_cast<int>(rbm.visible), m = static_cast<int>(rbm.hidden);
    EBMKIT_CUDA_CHECK(cudaMemsetAsync(log_w, 0, sizeof(double) * runs, stream));
    base_rate_samples<<<static_cast<unsigned>((runs * ((d + 3) / 4) + block - 1) / block), block, 0, stream>>>(
        base_b, runs, d, seed, v);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
    const auto warp_blocks = static_cast<unsigned>((runs * 32 + block - 1) / block);
    for (std::int64_t k = 1; k < count; ++k) {
        const auto b0 = static_cast<float>(betas[k - 1]), b1 = static_cast<float>(betas[k]);
        const auto step = static_cast<std::uint32_t>(k);
        // The ratio p*_k(v) / p*_{k-1}(v) at the current v, and h ~ p_k(h | v).
        GemmParams hp{v, rbm.w, rbm.c, h, runs, m, d, seed, step, RngPurpose::AisHidden};
        hp.scale = b1;
        hp.previous_scale = b0;
        hp.log_weights = log_w;
        launch<false, Epilogue::AisHidden>(hp, rbm.precision, stream);
        ais_visible_term<<<warp_blocks, block, 0, stream>>>(v, rbm.b, base_b, runs, d, betas[k] - betas[k - 1], log_w);
        EBMKIT_CUDA_CHECK(cudaGetLastError());
        if (k + 1 == count) break;
        // v ~ p_k(v | h).
        GemmParams vp{h, rbm.w, rbm.b, v, runs, d, m, seed, step, RngPurpose::AisVisible};
        vp.scale = b1;
        vp.base = base_b;
        vp.base_scale = 1.0f - b1;
        launch<true, Epilogue::Sample>(vp, rbm.precision, stream);
    }
}

void rbm_log_partition_terms(const RbmDevice& rbm, std::uint64_t first, std::int64_t count, float* bits,
                             float* terms, CUstream_st* stream) {
    constexpr int block = 256;
    const bool over_hidden = rbm.hidden <= rbm.visible;
    const int n = static_cast<int>(over_hidden ? rbm.hidden : rbm.visible);
    const int other = static_cast<int>(over_hidden ? rbm.visible : rbm.hidden);
    configuration_bits<<<static_cast<unsigned>((count * n + block - 1) / block), block, 0, stream>>>(first, count, n, bits);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
    // terms = -(free energy of the enumerated layer): -own_bias^T s - sum softplus(other_bias + s W').
    negative_visible_bias_dot<<<static_cast<unsigned>((count * 32 + block - 1) / block), block, 0, stream>>>(
        bits, over_hidden ? rbm.c : rbm.b, count, n, terms);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
    const GemmParams p{bits, rbm.w, over_hidden ? rbm.b : rbm.c, terms, count, other, n, 0, 0, RngPurpose::GibbsHidden};
    if (over_hidden) launch<true, Epilogue::NegSoftplusSum>(p, rbm.precision, stream);
    else launch<false, Epilogue::NegSoftplusSum>(p, rbm.precision, stream);
    negate<<<static_cast<unsigned>((count + block - 1) / block), block, 0, stream>>>(terms, count);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
}

bool rbm_pseudo_log_likelihood_fits(const RbmDevice& rbm) {
    return static_cast<long long>(rbm.hidden) * 2 * sizeof(double) <= block::device_limits().shared_bytes - 1024;
}

void rbm_pseudo_log_likelihood(const RbmDevice& rbm, const float* v, std::int64_t rows, float* out,
                               CUstream_st* stream) {
    if (rows == 0) return;
    if (rows > 0x7fffffff) throw Error("rbm pseudo-likelihood: too many rows for one launch");
    const int bytes = static_cast<int>(rbm.hidden * 2 * sizeof(double));
    EBMKIT_CUDA_CHECK(cudaFuncSetAttribute(pseudo_log_likelihood_rows, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes));
    pseudo_log_likelihood_rows<<<static_cast<unsigned>(rows), threads, bytes, stream>>>(rbm, v, out);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
}

int rbm_gibbs_chain_rows(const RbmDevice& rbm, std::int64_t rows) {
    return block::rows_per_block(rows, block::device_limits(), [&](int r) { return chain_bytes(rbm, r); });
}

void rbm_gibbs_chain(const RbmDevice& rbm, float* v, float* h, std::int64_t rows, std::uint64_t seed,
                     std::uint32_t first_step, int sweeps, CUstream_st* stream) {
    if (rows == 0 || sweeps == 0) return;
    const int r = rbm_gibbs_chain_rows(rbm, rows);
    if (r == 0) throw Error("rbm Gibbs chain: the chains do not fit in a block's shared memory");
    block::with_precision(rbm.precision, [&](auto p) {
        block::with_rows(r, [&](auto tile) {
            launch_chain<decltype(tile)::value, decltype(p)::value>(rbm, v, h, rows, seed, first_step, sweeps, stream);
        });
    });
}

void outer_product_sum(cublasContext* cublas, const float* v, const float* ph, std::int64_t rows, std::int64_t d,
                       std::int64_t m, float scale, bool accumulate, Precision precision, float* dw) {
    const auto [n, di, mi] = std::tuple{static_cast<int>(rows), static_cast<int>(d), static_cast<int>(m)};
    gemm(cublas, precision, true, false, di, mi, n, scale, v, di, ph, mi, accumulate ? 1.0f : 0.0f, dw, mi);
}

}  // namespace ebmkit::kernels
