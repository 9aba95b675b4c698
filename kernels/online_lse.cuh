// The one online LogSumExp of the device code: the LogSumExp kernels
// (kernels/logsumexp.cuh) and the MLP energy head (kernels/mlp_block.cuh) both use it.
//
// Each thread keeps (m, s) = (max of what it saw, sum of exp(x - m)); two states
// merge as m = max(m1, m2), s = s1 e^(m1 - m) + s2 e^(m2 - m). The shift factor is
// taken as exactly 1 when m_i = m, which gives the special values of docs/ARCHITECTURE.md §1 without
// branches on the data: a row of -inf ends with m = -inf, s = K, result -inf; a
// +inf ends with m = +inf, result +inf; a NaN makes its term NaN, and NaN survives
// every later merge (max ignores it, the sum does not).
#pragma once

#include <cuda_runtime.h>

#include <cmath>

#include "kernels/warp_reduce.cuh"

namespace ebmkit::kernels::online_lse {

struct OnlineLse {
    float m;  // running max (NaN ignored)
    float s;  // sum of exp(x - m)

    __device__ static OnlineLse identity() { return {-INFINITY, 0.0f}; }

    // exp(from - to) where to >= from, exactly 1 when equal (also for two infinities).
    __device__ static float shift(float from, float to) { return from == to ? 1.0f : expf(from - to); }

    __device__ void add(float x) {
        const float m_new = fmaxf(m, x);
        s = s * shift(m, m_new) + shift(x, m_new);
        m = m_new;
    }

    __device__ static OnlineLse merge(const OnlineLse& a, const OnlineLse& b) {
        const float m = fmaxf(a.m, b.m);
        return {m, a.s * shift(a.m, m) + b.s * shift(b.m, m)};
    }

    __device__ float result() const { return m + logf(s); }
};

struct MergeLse {
    __device__ OnlineLse operator()(const OnlineLse& a, const OnlineLse& b) const { return OnlineLse::merge(a, b); }
};

// The merge of each group of LANES consecutive lanes' states (a power of two up to
// 32), on every lane of the group.
template <int LANES>
__device__ OnlineLse warp_merge(const OnlineLse& state) {
    return warp_all_reduce<LANES>(state, MergeLse{});
}

}  // namespace ebmkit::kernels::online_lse
