// The bodies of the RBM evaluation kernels (kernels/rbm_eval.cu), in a header so that
// tests/rbm_eval_emulated_test.cpp runs them on the host:
//   free energy  F(v) = -b^T v - sum_j softplus(c_j + v^T W_:j)
//   AIS          (Salakhutdinov & Murray 2008) from the base-rate model b_A: v_0 ~ sigm(b_A),
//                then per beta_k the log-weight increment and a Gibbs sweep (kernels/rbm.cuh's
//                AisHidden and Sample epilogues), plus (beta_k - beta_{k-1}) (b - b_A)^T v
//   RAISE        the same path backwards from the data (ebmkit/rbm.hpp): v_K = v, then per k a
//                sweep of p_k and the ratio p*_{k-1} / p*_k at the new v_{k-1}
//   exact log Z  log-terms of every configuration of the smaller layer, reduced by the
//                LogSumExp kernel
//   pseudo-log-likelihood  sum_i log sigm(F(v with bit i flipped) - F(v)), in double
#pragma once

#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>

#include "kernels/philox_device.cuh"
#include "kernels/rbm.cuh"
#include "kernels/rbm_eval.hpp"
#include "kernels/warp_reduce.cuh"

namespace ebmkit::kernels::rbm_eval_body {


// Pseudo-log-likelihood, a block per row: x = c + v W and softplus(x) in shared memory
// (double, as the CPU reference), then a warp per flipped bit i:
//   F(v') - F(v) = -b_i delta - sum_j [softplus(x_j + delta W_ij) - softplus(x_j)],  delta = 1 - 2 v_i
//   log p(v_i | v_-i) = log sigm(F(v') - F(v)).
// shared: rbm_pseudo_log_likelihood_shape's bytes.
__device__ inline void pseudo_log_likelihood_rows(const RbmParams& rbm, const float* __restrict__ v,
                                                  float* __restrict__ out, double* shared) {
    const int d = static_cast<int>(rbm.visible), m = static_cast<int>(rbm.hidden);
    double* x = shared;
    double* sp = shared + m;
    double* warp_sums = shared + 2 * m;
    const float* vr = v + static_cast<std::int64_t>(blockIdx.x) * d;
    for (int j = threadIdx.x; j < m; j += rbm_eval_threads) {
        double acc = rbm.c[j];
        for (int i = 0; i < d; ++i) acc += static_cast<double>(vr[i]) * rbm.w[static_cast<std::int64_t>(i) * m + j];
        x[j] = acc;
        sp[j] = softplus<double>(acc);
    }
    __syncthreads();
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    double pl = 0.0;
    for (int i = warp; i < d; i += rbm_eval_threads / 32) {
        const double delta = vr[i] != 0.0f ? -1.0 : 1.0;
        const float* wi = rbm.w + static_cast<std::int64_t>(i) * m;
        double change = 0.0;
        for (int j = lane; j < m; j += 32) change += softplus<double>(x[j] + delta * wi[j]) - sp[j];
        change = warp_sum(change);
        pl -= softplus<double>(static_cast<double>(rbm.b[i]) * delta + change);  // log sigm(F(v') - F(v))
    }
    if (lane == 0) warp_sums[warp] = pl;
    __syncthreads();
    if (threadIdx.x == 0) {
        double total = 0.0;
        for (int w = 0; w < rbm_eval_threads / 32; ++w) total += warp_sums[w];
        out[blockIdx.x] = static_cast<float>(total);
    }
}

// f[r] = -b^T v_r: a warp per row.
__device__ inline void negative_visible_bias_dot(const float* __restrict__ v, const float* __restrict__ b, std::int64_t rows,
                                          int d, float* __restrict__ f) {
    const std::int64_t row = (static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
    const int lane = threadIdx.x % 32;
    if (row >= rows) return;
    float s = 0.0f;
    for (int i = lane; i < d; i += 32) s += v[row * d + i] * b[i];
    s = warp_sum(s);
    if (lane == 0) f[row] = -s;
}

// log_w[r] += delta * (b - b_A)^T v_r, in double: a warp per row.
__device__ inline void ais_visible_term(const float* __restrict__ v, const float* __restrict__ b, const float* __restrict__ base,
                                 std::int64_t rows, int d, double delta, double* __restrict__ log_w) {
    const std::int64_t row = (static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
    const int lane = threadIdx.x % 32;
    if (row >= rows) return;
    double s = 0.0;
    for (int i = lane; i < d; i += 32) s += static_cast<double>(v[row * d + i]) * (static_cast<double>(b[i]) - base[i]);
    s = warp_sum(s);
    if (lane == 0) log_w[row] += delta * s;
}

// v[r, i] ~ Bernoulli(sigm(base_i)), keyed (seed, ChainInit, chain r, step 0, i).
__device__ inline void base_rate_samples(const float* __restrict__ base, std::int64_t rows, int d, std::uint64_t seed,
                                  float* __restrict__ v) {
    const int blocks_per_row = (d + 3) / 4;
    const std::int64_t t = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (t >= rows * blocks_per_row) return;
    const std::int64_t row = t / blocks_per_row;
    const int block = static_cast<int>(t % blocks_per_row);
    float u[4];
    uniform4(philox_block(seed, RngPurpose::ChainInit, static_cast<std::uint32_t>(row), 0, block), u);
    for (int j = 0; j < 4 && block * 4 + j < d; ++j) v[row * d + block * 4 + j] = bernoulli_unit(u[j], sigmoid(base[block * 4 + j]));
}

// bits[r, e] = bit e of (first + r): the configurations of n enumerated units.
__device__ inline void configuration_bits(std::uint64_t first, std::int64_t count, int n, float* __restrict__ bits) {
    const std::int64_t t = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (t >= count * n) return;
    const std::uint64_t config = first + static_cast<std::uint64_t>(t / n);
    bits[t] = static_cast<float>((config >> (t % n)) & 1u);
}

// out[r * copies + c, :] = rows[r, :] for every copy c: a thread per output element.
__device__ inline void repeat_rows(const float* __restrict__ rows_in, std::int64_t rows, int d, std::int64_t copies,
                                   float* __restrict__ out) {
    const std::int64_t t = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (t >= rows * copies * d) return;
    out[t] = rows_in[(t / d / copies) * d + t % d];
}

// x = -x.
__device__ inline void negate(float* __restrict__ x, std::int64_t n) {
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < n) x[i] = -x[i];
}

// The launch sequences, shared by kernels/rbm_eval.cu (each step a kernel launch) and
// tests/rbm_eval_emulated_test.cpp (each step run on host threads), so both run the same
// keys, scales and order. Ops provides, each over its shape in kernels/rbm_eval.hpp:
//   zero(log_w, n)                          log_w[0 .. n) = 0
//   bias_dot(v, b, rows, d, f)              negative_visible_bias_dot
//   base_rate(base, runs, d, seed, v)       base_rate_samples
//   visible_term(v, b, base, runs, d, delta, log_w)  ais_visible_term
//   bits(first, count, n, bits)             configuration_bits
//   negate(x, n)                            negate
//   repeat(rows, n, d, copies, out)         repeat_rows
//   product(p, transposed, epilogue)        kernels/rbm.cuh's product over its 64 x 64 tiles

template <class Ops>
void free_energy_sequence(const RbmParams& rbm, const float* v, std::int64_t rows, float* f, Ops& ops) {
    ops.bias_dot(v, rbm.b, rows, static_cast<int>(rbm.visible), f);
    const rbm_body::GemmParams p{v, rbm.w, rbm.c, f, rows, static_cast<int>(rbm.hidden), static_cast<int>(rbm.visible),
                                 0, 0, RngPurpose::GibbsHidden};
    ops.product(p, false, rbm_body::Epilogue::NegSoftplusSum);
}

template <class Ops>
void ais_sequence(const RbmParams& rbm, const float* base_b, std::int64_t runs, const double* betas, std::int64_t count,
                  std::uint64_t seed, float* v, float* h, double* log_w, Ops& ops) {
    const int d = static_cast<int>(rbm.visible), m = static_cast<int>(rbm.hidden);
    ops.zero(log_w, runs);
    ops.base_rate(base_b, runs, d, seed, v);
    for (std::int64_t k = 1; k < count; ++k) {
        const auto b0 = static_cast<float>(betas[k - 1]), b1 = static_cast<float>(betas[k]);
        const auto step = static_cast<std::uint32_t>(k);
        // The ratio p*_k(v) / p*_{k-1}(v) at the current v, and h ~ p_k(h | v).
        rbm_body::GemmParams hp{v, rbm.w, rbm.c, h, runs, m, d, seed, step, RngPurpose::AisHidden};
        hp.scale = b1;
        hp.previous_scale = b0;
        hp.log_weights = log_w;
        ops.product(hp, false, rbm_body::Epilogue::AisHidden);
        ops.visible_term(v, rbm.b, base_b, runs, d, betas[k] - betas[k - 1], log_w);
        if (k + 1 == count) break;
        // v ~ p_k(v | h).
        rbm_body::GemmParams vp{h, rbm.w, rbm.b, v, runs, d, m, seed, step, RngPurpose::AisVisible};
        vp.scale = b1;
        vp.base = base_b;
        vp.base_scale = 1.0f - b1;
        ops.product(vp, true, rbm_body::Epilogue::Sample);
    }
}

// RAISE's log weights of `runs` reverse chains per row of data [rows, D] (chain
// n * runs + r): v = the row, h ~ p_K(h | v); then for k = K .. 1, v ~ p_k(v | h) and at
// the new v the ratio log p*_{k-1}(v) - log p*_k(v) (the AisHidden epilogue with the
// betas swapped, which also draws h ~ p_{k-1}(h | v) for the next sweep; the last, at
// beta_0, is unused) plus the visible term. A scale-1 AisHidden adds exactly 0.
template <class Ops>
void raise_sequence(const RbmParams& rbm, const float* base_b, const float* data, std::int64_t rows, std::int64_t runs,
                    const double* betas, std::int64_t count, std::uint64_t seed, float* v, float* h, double* log_w,
                    Ops& ops) {
    const int d = static_cast<int>(rbm.visible), m = static_cast<int>(rbm.hidden);
    const std::int64_t chains = rows * runs;
    ops.zero(log_w, chains);
    ops.repeat(data, rows, d, runs, v);
    const std::int64_t last = count - 1;
    auto hidden = [&](std::int64_t k, float previous) {  // h ~ p_k(h | v), log_w += softplus terms
        rbm_body::GemmParams hp{v, rbm.w, rbm.c, h, chains, m, d, seed, static_cast<std::uint32_t>(k),
                                RngPurpose::RaiseHidden};
        hp.scale = static_cast<float>(betas[k]);
        hp.previous_scale = previous;
        hp.log_weights = log_w;
        ops.product(hp, false, rbm_body::Epilogue::AisHidden);
    };
    hidden(last, static_cast<float>(betas[last]));
    for (std::int64_t k = last; k >= 1; --k) {
        const auto beta = static_cast<float>(betas[k]);
        rbm_body::GemmParams vp{h, rbm.w, rbm.b, v, chains, d, m, seed, static_cast<std::uint32_t>(k), RngPurpose::RaiseVisible};
        vp.scale = beta;
        vp.base = base_b;
        vp.base_scale = 1.0f - beta;
        ops.product(vp, true, rbm_body::Epilogue::Sample);
        hidden(k - 1, beta);
        ops.visible_term(v, rbm.b, base_b, chains, d, betas[k - 1] - betas[k], log_w);
    }
}

template <class Ops>
void log_partition_terms_sequence(const RbmParams& rbm, std::uint64_t first, std::int64_t count, float* bits,
                                  float* terms, Ops& ops) {
    const bool over_hidden = rbm.hidden <= rbm.visible;
    const int n = static_cast<int>(over_hidden ? rbm.hidden : rbm.visible);
    const int other = static_cast<int>(over_hidden ? rbm.visible : rbm.hidden);
    ops.bits(first, count, n, bits);
    // terms = -(free energy of the enumerated layer): -own_bias^T s - sum softplus(other_bias + s W'), negated.
    ops.bias_dot(bits, over_hidden ? rbm.c : rbm.b, count, n, terms);
    const rbm_body::GemmParams p{bits, rbm.w, over_hidden ? rbm.b : rbm.c, terms, count, other, n, 0, 0,
                                 RngPurpose::GibbsHidden};
    ops.product(p, over_hidden, rbm_body::Epilogue::NegSoftplusSum);
    ops.negate(terms, count);
}

}  // namespace ebmkit::kernels::rbm_eval_body
