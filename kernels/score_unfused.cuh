// The bodies of the unfused denoising-score-matching path's own kernels
// (kernels/score_unfused.cu; the products are cuBLAS's, the bias-and-activation
// kernels/mlp.cuh's), in a header so that the emulated suite
// runs them on the host. Grid-stride loops, elements or rows; the math is
// kernels/score_fused.cuh's, one pass at a time.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/activation.cuh"
#include "kernels/grid_stride.cuh"

namespace ebmkit::kernels::score_unfused_body {

// noisy [rows, d] = x + sigma[r] eps (one rounding, as the fused kernel forms it).
__device__ inline void perturb(const float* __restrict__ x, const float* __restrict__ noise,
                               const float* __restrict__ sigma, std::int64_t rows, std::int64_t d,
                               float* __restrict__ noisy) {
    for (std::int64_t i = first_item(); i < rows * d; i += item_stride()) noisy[i] = fmaf(sigma[i / d], noise[i], x[i]);
}

// Per row, from g = grad_x E(x~) [rows, d]: res = -g / c + eps / sigma (into residual),
// u = kappa res (the tangent, kappa = -w / c * scale), loss = w / 2 |res|^2.
__device__ inline void residual_rows(const float* __restrict__ g, const float* __restrict__ noise,
                                     const float* __restrict__ sigma, std::int64_t rows, std::int64_t d,
                                     bool scaled_by_noise, bool sigma_squared_weight, float scale,
                                     float* __restrict__ residual, float* __restrict__ u, float* __restrict__ row_loss) {
    for (std::int64_t r = first_item(); r < rows; r += item_stride()) {
        const float s = sigma[r], c = scaled_by_noise ? s : 1.0f, w = sigma_squared_weight ? s * s : 1.0f;
        const float kappa = -w / c * scale;
        float sq = 0.0f;
        for (std::int64_t i = r * d; i < (r + 1) * d; ++i) {
            const float res = -g[i] / c + noise[i] / s;
            residual[i] = res;
            u[i] = kappa * res;
            sq += res * res;
        }
        row_loss[r] = 0.5f * w * sq;
    }
}

// out = g act'(z): delta_l from g_l, and ad_l from zd_l.
__device__ inline void times_act_grad(const float* __restrict__ g, const float* __restrict__ z, std::int64_t n,
                                      ActivationKind act, float slope, float* __restrict__ out) {
    for (std::int64_t i = first_item(); i < n; i += item_stride()) out[i] = g[i] * activate_grad(act, slope, z[i]);
}

// Per row: deltad = delta (fd - p . fd), p = -delta (the softmax).
__device__ inline void tangent_head_rows(const float* __restrict__ delta, const float* __restrict__ fd,
                                         std::int64_t rows, std::int64_t k, float* __restrict__ deltad) {
    for (std::int64_t r = first_item(); r < rows; r += item_stride()) {
        float dot = 0.0f;
        for (std::int64_t j = r * k; j < (r + 1) * k; ++j) dot += -delta[j] * fd[j];
        for (std::int64_t j = r * k; j < (r + 1) * k; ++j) deltad[j] = delta[j] * (fd[j] - dot);
    }
}

// deltad = gd act'(z) + g act''(z) zd, over gd in place.
__device__ inline void tangent_delta(float* __restrict__ gd, const float* __restrict__ g, const float* __restrict__ z,
                                     const float* __restrict__ zd, std::int64_t n, ActivationKind act, float slope) {
    for (std::int64_t i = first_item(); i < n; i += item_stride()) {
        gd[i] = gd[i] * activate_grad(act, slope, z[i]) + g[i] * activate_grad2(act, slope, z[i]) * zd[i];
    }
}

}  // namespace ebmkit::kernels::score_unfused_body
