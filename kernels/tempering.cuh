// The body of the parallel-tempering swap kernel and the sweep's launch sequence
// (kernels/tempering.cu), in a header so that tests/tempering_emulated_test.cpp runs
// them on the host. The Gibbs half-sweeps are kernels/rbm.cuh's products with a
// per-row beta; the swap of pair (r, r + 1) of chain c is one block:
//   x = c + v W for both rows (double, the 0/1 states selecting rows of W),
//   log_alpha = (beta_{r+1} - beta_r) (b^T v_r - b^T v_{r+1})
//             + sum_j [softplus(beta_r x_{r+1,j}) + softplus(beta_{r+1} x_{r,j})
//                      - softplus(beta_r x_{r,j}) - softplus(beta_{r+1} x_{r+1,j})],
//   accepted when log u <= log_alpha, u the Philox uniform (seed, TemperingSwap, c, sweep, r).
#pragma once

#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>

#include "kernels/philox_device.cuh"
#include "kernels/rbm.cuh"
#include "kernels/rbm_eval.cuh"
#include "kernels/tempering.hpp"
#include "kernels/warp_reduce.cuh"

namespace ebmkit::kernels::tempering_body {

constexpr int threads = tempering_swap_threads, warps = threads / 32;
using rbm_eval_body::softplus_d;

struct SwapParams {
    const float* w;  // [D, M]
    const float* b;
    const float* c;
    int visible, hidden;
    const float* betas;  // [R]
    std::int64_t chains;
    float* v;  // [R * S, D]
    float* h;  // [R * S, M]
    std::uint64_t seed;
    std::uint32_t sweep;
    int parity;
    unsigned long long* accepted;  // [R - 1]
};

// The terms of log_alpha: b^T v and, per beta of the pair, sum_j softplus(beta x_j), of both rows.
enum Term { BiasA, BiasB, LowA, HighA, LowB, HighB, Terms };

// The block exchanges rows a and b of n elements.
__device__ inline void swap_rows(float* __restrict__ a, float* __restrict__ b, int n) {
    for (int i = threadIdx.x; i < n; i += threads) {
        const float x = a[i];
        a[i] = b[i];
        b[i] = x;
    }
}

__device__ inline void swap_pair(const SwapParams& p) {
    __shared__ double warp_terms[warps][Terms];
    __shared__ int accept;
    const std::int64_t chain = blockIdx.x;
    const int r = p.parity + 2 * static_cast<int>(blockIdx.y);
    const std::int64_t row_a = r * p.chains + chain, row_b = row_a + p.chains;
    const float* va = p.v + row_a * p.visible;
    const float* vb = p.v + row_b * p.visible;
    const double low = p.betas[r], high = p.betas[r + 1];
    double t[Terms] = {0, 0, 0, 0, 0, 0};
    for (int i = threadIdx.x; i < p.visible; i += threads) {
        t[BiasA] += static_cast<double>(p.b[i]) * va[i];
        t[BiasB] += static_cast<double>(p.b[i]) * vb[i];
    }
    for (int j = threadIdx.x; j < p.hidden; j += threads) {
        double xa = p.c[j], xb = p.c[j];
        for (int i = 0; i < p.visible; ++i) {
            const double wij = p.w[static_cast<std::int64_t>(i) * p.hidden + j];
            if (va[i] != 0.0f) xa += static_cast<double>(va[i]) * wij;
            if (vb[i] != 0.0f) xb += static_cast<double>(vb[i]) * wij;
        }
        t[LowA] += softplus_d(low * xa);
        t[HighA] += softplus_d(high * xa);
        t[LowB] += softplus_d(low * xb);
        t[HighB] += softplus_d(high * xb);
    }
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    for (int k = 0; k < Terms; ++k) {
        const double total = warp_sum(t[k]);
        if (lane == 0) warp_terms[warp][k] = total;
    }
    __syncthreads();
    if (threadIdx.x == 0) {
        double s[Terms] = {0, 0, 0, 0, 0, 0};
        for (int w = 0; w < warps; ++w) {
            for (int k = 0; k < Terms; ++k) s[k] += warp_terms[w][k];
        }
        const double log_alpha = (high - low) * (s[BiasA] - s[BiasB]) + s[LowB] + s[HighA] - s[LowA] - s[HighB];
        float u[4];
        uniform4(philox_block(p.seed, RngPurpose::TemperingSwap, static_cast<std::uint32_t>(chain), p.sweep,
                              static_cast<std::uint32_t>(r / 4)),
                 u);
        accept = log(static_cast<double>(u[r % 4])) <= log_alpha ? 1 : 0;
        if (accept) atomicAdd(p.accepted + r, 1ull);
    }
    __syncthreads();
    if (!accept) return;
    swap_rows(p.v + row_a * p.visible, p.v + row_b * p.visible, p.visible);
    swap_rows(p.h + row_a * p.hidden, p.h + row_b * p.hidden, p.hidden);
}

// The sweeps' launch sequence, shared by kernels/tempering.cu (each step a launch) and
// the emulated test (each step on host threads). Ops provides
//   product(p, transposed)   kernels/rbm.cuh's Sample product over its 64 x 64 tiles
//   swaps(p, pairs)          swap_pair over tempering_swap_shape(chains, pairs)
template <class Ops>
void sweeps_sequence(const RbmParams& rbm, const float* betas, int replicas, std::int64_t chains, float* v, float* h,
                     std::uint64_t seed, std::uint32_t first_sweep, int sweeps, unsigned long long* accepted,
                     Ops& ops) {
    const int d = static_cast<int>(rbm.visible), m = static_cast<int>(rbm.hidden);
    const std::int64_t rows = replicas * chains;
    for (int s = 0; s < sweeps; ++s) {
        const std::uint32_t sweep = first_sweep + static_cast<std::uint32_t>(s);
        rbm_body::GemmParams hp{v, rbm.w, rbm.c, h, rows, m, d, seed, sweep, RngPurpose::TemperingHidden};
        hp.row_scale = betas;
        hp.rows_per_scale = chains;
        ops.product(hp, false);
        rbm_body::GemmParams vp{h, rbm.w, rbm.b, v, rows, d, m, seed, sweep, RngPurpose::TemperingVisible};
        vp.row_scale = betas;
        vp.rows_per_scale = chains;
        ops.product(vp, true);
        const int parity = static_cast<int>(sweep % 2);
        const int pairs = tempering_pairs(replicas, parity);
        if (pairs == 0) continue;
        const SwapParams sp{rbm.w, rbm.b, rbm.c, d, m, betas, chains, v, h, seed, sweep, parity, accepted};
        ops.swaps(sp, pairs);
    }
}

}  // namespace ebmkit::kernels::tempering_body
