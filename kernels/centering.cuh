// The bodies of the centring kernels (kernels/centering.cu), in a header so that
// tests/centering_emulated_test.cpp runs them on the host.
//
// A centred RBM (Melchior, Fischer & Wiskott, JMLR 2016) has the energy
//   -E(v, h) = (v - mu)^T W (h - lambda) + b'^T (v - mu) + c'^T (h - lambda),
// i.e. the plain RBM W, b = b' - W lambda, c = c' - W^T mu. ebmkit keeps the plain
// parameters (what samplers and checkpoints see) and takes the centred gradient step in
// them. With g = (gW, gb, gc) the plain ascent direction (data minus model statistics),
// the centred one is
//   GW = <(v - mu)(h - lambda)^T>_data - <...>_model = gW - gb lambda^T - mu gc^T
//   Gb' = gb,  Gc' = gc   (in the centred biases),
// and a step eta G in (W, b', c') moves the plain biases by
//   eta (gb - GW lambda),  eta (gc - GW^T mu),
// which is what centered_gradient writes (GW, gb - GW lambda, gc - GW^T mu). The
// offsets follow the data as moving averages, mu <- (1 - nu) mu + nu <v>_data,
// lambda <- (1 - nu) lambda + nu <p(h | v)>_data; the plain parameters do not change
// when they move.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/centering.hpp"
#include "kernels/warp_reduce.cuh"

namespace ebmkit::kernels::centering_body {

// Thread j: offset_j <- (1 - rate) offset_j + rate * mean_r x[r, j].
__device__ inline void offsets(float* __restrict__ offset, const float* __restrict__ x, std::int64_t rows,
                               std::int64_t cols, float rate) {
    const std::int64_t j = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (j >= cols) return;
    double sum = 0.0;
    for (std::int64_t r = 0; r < rows; ++r) sum += x[r * cols + j];
    offset[j] = static_cast<float>((1.0 - rate) * offset[j] + rate * sum / static_cast<double>(rows));
}

// Weight (i, j): gw <- gw - gb_i lambda_j - mu_i gc_j.
__device__ inline void weights(float* __restrict__ gw, const float* __restrict__ gb, const float* __restrict__ gc,
                               const float* __restrict__ mu, const float* __restrict__ lambda, std::int64_t visible,
                               std::int64_t hidden) {
    const std::int64_t e = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (e >= visible * hidden) return;
    const std::int64_t i = e / hidden, j = e % hidden;
    gw[e] = gw[e] - gb[i] * lambda[j] - mu[i] * gc[j];
}

// A warp per visible unit i: gb_i <- gb_i - sum_j GW_ij lambda_j (GW already centred).
__device__ inline void visible_bias(const float* __restrict__ gw, float* __restrict__ gb,
                                    const float* __restrict__ lambda, std::int64_t visible, std::int64_t hidden) {
    const std::int64_t i = (static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
    const int lane = threadIdx.x % 32;
    if (i >= visible) return;
    float s = 0.0f;
    for (std::int64_t j = lane; j < hidden; j += 32) s += gw[i * hidden + j] * lambda[j];
    s = warp_sum(s);
    if (lane == 0) gb[i] -= s;
}

// Thread j: gc_j <- gc_j - sum_i GW_ij mu_i (coalesced across j).
__device__ inline void hidden_bias(const float* __restrict__ gw, float* __restrict__ gc, const float* __restrict__ mu,
                                   std::int64_t visible, std::int64_t hidden) {
    const std::int64_t j = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (j >= hidden) return;
    float s = 0.0f;
    for (std::int64_t i = 0; i < visible; ++i) s += gw[i * hidden + j] * mu[i];
    gc[j] -= s;
}

// The transform's launch sequence (kernels/centering.cu launches, the emulated test runs
// on host threads): the weights first, then the biases from the centred weights. Ops:
//   weights(...), visible_bias(...), hidden_bias(...) over the shapes in centering.hpp.
template <class Ops>
void centered_gradient_sequence(float* gw, float* gb, float* gc, const float* mu, const float* lambda,
                                std::int64_t visible, std::int64_t hidden, Ops& ops) {
    ops.weights(gw, gb, gc, mu, lambda, visible, hidden);
    ops.visible_bias(gw, gb, lambda, visible, hidden);
    ops.hidden_bias(gw, gc, mu, visible, hidden);
}

}  // namespace ebmkit::kernels::centering_body
