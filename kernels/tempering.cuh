// The bodies of the parallel-tempering kernels (kernels/tempering.cu), in a header so
// that tests/tempering_emulated_test.cpp runs them on the host: the on-chip chain (every
// replica of a block's chains in shared memory for all sweeps: one launch) and, where
// those rows do not fit, the launch sequence of three per sweep. The Gibbs half-sweeps
// are kernels/rbm.cuh's products with a per-row beta; the swap of pair (r, r + 1) of
// chain c is decided by a whole block:
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

// Whether the swap of pair (r, r + 1) of chain `chain` at `sweep` is accepted, its
// visible rows va (replica r) and vb (replica r + 1) in global or shared memory; the
// same answer on every thread of the block, and accepted[r] counts it.
__device__ inline bool swap_accepted(const SwapParams& p, const float* va, const float* vb, std::int64_t chain, int r) {
    __shared__ double warp_terms[warps][Terms];
    __shared__ int accept;
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
        t[LowA] += softplus<double>(low * xa);
        t[HighA] += softplus<double>(high * xa);
        t[LowB] += softplus<double>(low * xb);
        t[HighB] += softplus<double>(high * xb);
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
    const bool accepted = accept != 0;
    __syncthreads();  // every thread has read accept before a later call writes it
    return accepted;
}

// The swap kernel's block: pair (parity + 2 blockIdx.y, + 1) of chain blockIdx.x.
__device__ inline void swap_pair(const SwapParams& p) {
    const std::int64_t chain = blockIdx.x;
    const int r = p.parity + 2 * static_cast<int>(blockIdx.y);
    const std::int64_t row_a = r * p.chains + chain, row_b = row_a + p.chains;
    if (!swap_accepted(p, p.v + row_a * p.visible, p.v + row_b * p.visible, chain, r)) return;
    swap_rows(p.v + row_a * p.visible, p.v + row_b * p.visible, p.visible);
    swap_rows(p.h + row_a * p.hidden, p.h + row_b * p.hidden, p.hidden);
}

// Shared memory of the on-chip chain for ROWS rows: kernels/rbm.cuh's chain layout
// (v, h, then the product's staging).
inline int tempering_chain_bytes(const RbmParams& rbm, int rows) { return rbm_body::gibbs_chain_bytes(rbm, rows); }

// The on-chip chain's tile: 16 rows, the replicas of 16 / R chains. Only this height is
// built (each height is three instantiations of the block product, about 1 MB of
// library, and the GPU run's binaries must travel in 64 MiB); ladders of up to 16
// replicas, the ones PT training uses, take it.
inline constexpr int tempering_chain_tile_rows = 16;

// The on-chip chain's rows per block for R replicas: tempering_chain_tile_rows when R
// fits in it and the tile in shared memory, else 0 (more than 16 replicas, or the units
// too many for 16 rows), and the launch sequence runs instead.
inline int tempering_chain_rows(const RbmParams& rbm, int replicas, const DeviceLimits& limits) {
    constexpr int rows = tempering_chain_tile_rows;
    return replicas <= rows && tempering_chain_bytes(rbm, rows) <= limits.shared_bytes ? rows : 0;
}

// `sweeps` sweeps of the block's chains, every replica on chip: block b holds chains
// c0 = b * (ROWS / R) ... (ROWS / R of them, fewer in the last block), its local row
// i = r * (ROWS / R) + l being global row r * S + c0 + l of the replica-major states,
// so the products' draws and betas (kernels/rbm.cuh's finish with that row) and the
// swaps' are exactly the launch sequence's. `shared` is tempering_chain_bytes(ROWS).
template <int ROWS, Precision P>
__device__ void tempering_chain_tile(const RbmParams& rbm, const float* betas, int replicas, std::int64_t chains,
                                     float* v, float* h, std::uint64_t seed, std::uint32_t first_sweep, std::uint32_t sweeps,
                                     unsigned long long* accepted, int ld_v, int ld_h, unsigned char* shared) {
    const int d = static_cast<int>(rbm.visible), m = static_cast<int>(rbm.hidden);
    const int per_block = ROWS / replicas;
    const std::int64_t c0 = static_cast<std::int64_t>(blockIdx.x) * per_block;
    const int here = static_cast<int>(chains - c0 < per_block ? chains - c0 : per_block);
    float* vs = reinterpret_cast<float*>(shared);
    float* hs = vs + ROWS * ld_v;
    unsigned char* staging = shared + block::round_up(ROWS * (ld_v + ld_h) * 4, 32);
    auto holds = [&](int i) { return i < replicas * per_block && i % per_block < here; };
    auto global_row = [&](int i) { return (i / per_block) * chains + c0 + i % per_block; };
    for (int e = threadIdx.x; e < ROWS * d; e += threads) {
        const int i = e / d;
        vs[i * ld_v + e % d] = holds(i) ? v[global_row(i) * d + e % d] : 0.0f;
    }
    for (int e = threadIdx.x; e < ROWS * ld_h; e += threads) hs[e] = 0.0f;
    __syncthreads();
    const std::int64_t rows = replicas * chains;
    rbm_body::GemmParams hp{nullptr, rbm.w, rbm.c, nullptr, rows, m, d, seed, 0, RngPurpose::TemperingHidden};
    rbm_body::GemmParams vp{nullptr, rbm.w, rbm.b, nullptr, rows, d, m, seed, 0, RngPurpose::TemperingVisible};
    hp.row_scale = vp.row_scale = betas;
    hp.rows_per_scale = vp.rows_per_scale = chains;
    SwapParams sp{rbm.w, rbm.b, rbm.c, d, m, betas, chains, nullptr, nullptr, seed, 0, 0, accepted};
    auto v_at = [&](int r, int k) { return vs[r * ld_v + k]; };
    auto h_at = [&](int r, int k) { return hs[r * ld_h + k]; };
    for (std::uint32_t s = 0; s < sweeps; ++s) {
        const std::uint32_t sweep = first_sweep + s;
        hp.step = vp.step = sp.sweep = sweep;
        block::gemm<ROWS, P, false>(staging, rbm.w, m, 0, m, d, v_at, [&](int r, int col, const float* acc) {
            if (holds(r)) rbm_body::finish<rbm_body::Epilogue::Sample>(hp, global_row(r), col, acc, hs + r * ld_h);
        });
        block::gemm<ROWS, P, true>(staging, rbm.w, m, 0, d, m, h_at, [&](int r, int col, const float* acc) {
            if (holds(r)) rbm_body::finish<rbm_body::Epilogue::Sample>(vp, global_row(r), col, acc, vs + r * ld_v);
        });
        for (int r = static_cast<int>(sweep % 2); r + 1 < replicas; r += 2) {
            for (int l = 0; l < here; ++l) {
                float* va = vs + (r * per_block + l) * ld_v;
                float* vb = va + per_block * ld_v;
                // The sweep's pairs hold disjoint rows: no barrier between them.
                if (!swap_accepted(sp, va, vb, c0 + l, r)) continue;
                swap_rows(va, vb, d);
                swap_rows(hs + (r * per_block + l) * ld_h, hs + ((r + 1) * per_block + l) * ld_h, m);
            }
        }
        __syncthreads();  // the swapped rows are in place before the next product reads them
    }
    for (int e = threadIdx.x; e < ROWS * d; e += threads) {
        const int i = e / d;
        if (holds(i)) v[global_row(i) * d + e % d] = vs[i * ld_v + e % d];
    }
    for (int e = threadIdx.x; e < ROWS * m; e += threads) {
        const int i = e / m;
        if (holds(i)) h[global_row(i) * m + e % m] = hs[i * ld_h + e % m];
    }
}

// The sweeps' launch sequence, shared by kernels/tempering.cu (each step a launch) and
// the emulated test (each step on host threads). Ops provides
//   product(p, transposed)   kernels/rbm.cuh's Sample product over its 64 x 64 tiles
//   swaps(p, pairs)          swap_pair over tempering_swap_shape(chains, pairs)
template <class Ops>
void sweeps_sequence(const RbmParams& rbm, const float* betas, int replicas, std::int64_t chains, float* v, float* h,
                     std::uint64_t seed, std::uint32_t first_sweep, std::uint32_t sweeps, unsigned long long* accepted,
                     Ops& ops) {
    const int d = static_cast<int>(rbm.visible), m = static_cast<int>(rbm.hidden);
    const std::int64_t rows = replicas * chains;
    for (std::uint32_t s = 0; s < sweeps; ++s) {
        const std::uint32_t sweep = first_sweep + s;
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
