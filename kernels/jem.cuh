// The bodies of the JEM head (kernels/jem.cu, and the epilogue of the fused MLP
// kernel in kernels/mlp_fused.cuh), in a header so that tests/jem_emulated_test.cpp
// runs them on the host. The math: kernels/jem_head.hpp.
//   jem_head_row: one warp per row, LSE through the one online LSE, in place or not
//   jem_batch_sums: one block, the rows' terms summed in double in a fixed order
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/grid_stride.cuh"
#include "kernels/jem_head.hpp"
#include "kernels/jem_rule.hpp"
#include "kernels/online_lse.cuh"
#include "kernels/warp_reduce.cuh"

#ifndef EBMKIT_BLOCK_EMULATION
#include <cub/block/block_reduce.cuh>
#endif

namespace ebmkit::kernels::jem_body {

// The best (largest, then lowest index) of two candidates for the argmax; NaN never wins.
struct Best {
    float value;
    int index;
};
struct TakeBest {
    __device__ Best operator()(const Best& a, const Best& b) const {
        if (b.index < 0) return a;
        if (a.index < 0) return b;
        if (b.value > a.value || (b.value == a.value && b.index < a.index)) return b;
        return a;
    }
};

// The row's dlogits and terms, by the 32 lanes of one warp. logits and dlogits may be
// the same row (each lane writes only elements it has read). label is ignored for
// sample rows. terms (nullable) is written by lane 0.
__device__ inline void jem_head_row(const float* logits, float* dlogits, int k, int label, const JemHeadWeights& w,
                                    JemRowTerms* terms) {
    const int lane = threadIdx.x % 32;
    const bool bad = w.data && (label < 0 || label >= k);
    const int y = w.data && !bad ? label : -1;
    online_lse::OnlineLse state = online_lse::OnlineLse::identity();
    Best best{0.0f, -1};
    float f_y = 0.0f;
    for (int j = lane; j < k; j += 32) {
        const float f = logits[j];
        state.add(f);
        best = TakeBest{}(best, Best{f, f == f ? j : -1});
        if (j == y) f_y = f;
    }
    const float lse = online_lse::warp_merge<32>(state).result();
    const Best top = warp_all_reduce<32>(best, TakeBest{});
    f_y = warp_sum(f_y);
    const float e = -lse;
    for (int j = lane; j < k; j += 32) {
        const float p = lse == -INFINITY ? 0.0f : expf(logits[j] - lse);
        dlogits[j] = w.scale * (w.data ? jem_data_dlogit(p, j == y, e, w.classifier, w.generative, w.energy_l2)
                                       : jem_sample_dlogit(p, e, w.generative, w.energy_l2));
    }
    if (terms && lane == 0) {
        *terms = JemRowTerms{y >= 0 ? lse - f_y : 0.0f, e, y >= 0 && top.index == y ? 1 : 0, bad ? 1 : 0};
    }
}

// dlogits [rows, k] and terms [rows] of logits [rows, k]: warp w of the grid takes rows
// w, w + warps, ...
__device__ inline void jem_head(const float* __restrict__ logits, const std::int32_t* __restrict__ labels,
                                std::int64_t rows, int k, const JemHeadWeights& w, float* __restrict__ dlogits,
                                JemRowTerms* __restrict__ terms) {
    for (std::int64_t r = first_warp_item(); r < rows; r += warp_item_stride()) {
        jem_head_row(logits + r * k, dlogits + r * k, k, labels ? labels[r] : -1, w, terms + r);
    }
}

struct Sums {
    double ce, e, e_sq, correct;
    std::int64_t first_bad;  // or INT64_MAX
};
struct AddSums {
    __device__ Sums operator()(const Sums& a, const Sums& b) const {
        return {a.ce + b.ce, a.e + b.e, a.e_sq + b.e_sq, a.correct + b.correct,
                a.first_bad < b.first_bad ? a.first_bad : b.first_bad};
    }
};

template <int THREADS>
using BlockReduceSums = cub::BlockReduce<Sums, THREADS>;

// The sums of terms [rows] by one block of THREADS: thread t takes rows t, t + THREADS, ...
template <int THREADS>
__device__ Sums block_sums(const JemRowTerms* __restrict__ terms, std::int64_t rows,
                           typename BlockReduceSums<THREADS>::TempStorage& storage) {
    Sums s{0, 0, 0, 0, INT64_MAX};
    for (std::int64_t r = threadIdx.x; r < rows; r += THREADS) {
        const JemRowTerms t = terms[r];
        s = AddSums{}(s, Sums{t.cross_entropy, t.energy, static_cast<double>(t.energy) * t.energy,
                              static_cast<double>(t.correct), t.bad_label ? r : INT64_MAX});
    }
    return BlockReduceSums<THREADS>(storage).Reduce(s, AddSums{});
}

// out = the sums of the batch's data terms [n] and sample terms [m] (m may be 0), by one block.
template <int THREADS>
__device__ void jem_batch_sums(const JemRowTerms* __restrict__ data, std::int64_t n,
                               const JemRowTerms* __restrict__ samples, std::int64_t m, JemBatchSums* __restrict__ out,
                               const JemGuard& guard) {
    __shared__ typename BlockReduceSums<THREADS>::TempStorage storage;
    const Sums d = block_sums<THREADS>(data, n, storage);
    __syncthreads();  // the storage is reused
    const Sums s = block_sums<THREADS>(samples, m, storage);
    if (threadIdx.x == 0) {
        JemBatchSums b{d.ce, d.e, d.e_sq, d.correct, s.e, s.e_sq, d.first_bad == INT64_MAX ? -1 : d.first_bad, 0, 0};
        b.skip = jem_skip(b, n, m, guard);
        *out = b;
    }
}

}  // namespace ebmkit::kernels::jem_body
