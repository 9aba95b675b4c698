// The bodies of the unfused MLP path's elementwise kernels (kernels/mlp.cu), in a header
// so that tests/mlp_emulated_test.cpp runs them on the host. Each is a grid-stride loop
// over rows x cols elements, one per thread per pass (launch shape: mlp.cu's blocks_for).
//   bias + activation:  z <- z + b (per column),  a <- act(z)   (a null: the last layer)
//   backward:           g <- g * act'(z)
//   energy head:        dE/dlogits = -softmax(logits) = -exp(logits - lse), E = -lse;
//                       with labels, dE/dlogits = -onehot(y), E = -logits[y]
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/activation.cuh"
#include "kernels/grid_stride.cuh"

namespace ebmkit::kernels::mlp_body {

__device__ inline void bias_activation(float* __restrict__ z, float* __restrict__ a, const float* __restrict__ b,
                                       std::int64_t rows, std::int64_t cols, ActivationKind act, float slope) {
    for (std::int64_t i = first_item(); i < rows * cols; i += item_stride()) {
        const float v = z[i] + b[i % cols];
        z[i] = v;
        if (a) a[i] = activate(act, slope, v);
    }
}

__device__ inline void activation_backward(float* __restrict__ g, const float* __restrict__ z, std::int64_t n,
                                           ActivationKind act, float slope) {
    for (std::int64_t i = first_item(); i < n; i += item_stride()) {
        g[i] *= activate_grad(act, slope, z[i]);
    }
}

// labels null: the marginal energy from lse (a row whose lse is -inf, every logit -inf,
// has no softmax: its gradient is 0); energy null: the gradient only.
__device__ inline void energy_head(const float* __restrict__ logits, const std::int32_t* __restrict__ labels,
                                   const float* __restrict__ lse, std::int64_t rows, std::int64_t k,
                                   float* __restrict__ dlogits, float* __restrict__ energy) {
    for (std::int64_t i = first_item(); i < rows * k; i += item_stride()) {
        const std::int64_t r = i / k, j = i % k;
        if (labels) {
            dlogits[i] = j == labels[r] ? -1.0f : 0.0f;
            if (energy && j == labels[r]) energy[r] = -logits[i];
        } else {
            dlogits[i] = lse[r] == -INFINITY ? 0.0f : -expf(logits[i] - lse[r]);
            if (energy && j == 0) energy[r] = -lse[r];
        }
    }
}

}  // namespace ebmkit::kernels::mlp_body
