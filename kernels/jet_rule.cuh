// The pointwise math of sliced score matching's order-2 Taylor passes, written once for
// the fused pass (kernels/score_sliced_fused.cuh) and the unfused bodies
// (kernels/score_sliced.cuh): jets a(t) = a0 + a1 t + a2 t^2 truncated after t^2, as the
// CPU twin's host/cpu/jet.hpp computes them in double.
#pragma once

#include <cuda_runtime.h>

#include "kernels/activation.cuh"

namespace ebmkit::kernels::jet {

// act(Z) for Z = (z0, z1, z2): act(z0) + act'(z0) z1 t + (act'(z0) z2 + act''(z0) z1^2 / 2) t^2,
// its higher coefficients from act'(z0) = f1 and act''(z0) = f2.
__device__ inline float activation_first(float f1, float z1) { return f1 * z1; }
__device__ inline float activation_second(float f1, float f2, float z1, float z2) { return fmaf(f1, z2, 0.5f * f2 * z1 * z1); }

// All three coefficients (an epilogue's, or an elementwise kernel's).
__device__ inline void activation(ActivationKind act, float slope, float z0, float z1, float z2, float out[3]) {
    const float f1 = activate_grad(act, slope, z0);
    out[0] = activate(act, slope, z0);
    out[1] = activation_first(f1, z1);
    out[2] = activation_second(f1, activate_grad2(act, slope, z0), z1, z2);
}

// Coefficient c alone (a product's operand, read once per element and column tile).
__device__ inline float activation(ActivationKind act, float slope, int c, float z0, float z1, float z2) {
    if (c == 0) return activate(act, slope, z0);
    const float f1 = activate_grad(act, slope, z0);
    return c == 1 ? activation_first(f1, z1) : activation_second(f1, activate_grad2(act, slope, z0), z1, z2);
}

// Delta = B act'(Z) (the backward's jet product), from B = (b0, b1, b2), with
// act'(Z) = (act'(z0), act''(z0) z1, act''(z0) z2 + act'''(z0) z1^2 / 2).
__device__ inline void times_activation_grad(ActivationKind act, float slope, float z0, float z1, float z2, float b0,
                                             float b1, float b2, float out[3]) {
    const float f2 = activate_grad2(act, slope, z0);
    const float m0 = activate_grad(act, slope, z0), m1 = f2 * z1;
    const float m2 = fmaf(f2, z2, 0.5f * activate_grad3(act, slope, z0) * z1 * z1);
    out[0] = b0 * m0;
    out[1] = fmaf(b0, m1, b1 * m0);
    out[2] = fmaf(b0, m2, fmaf(b1, m1, b2 * m0));
}

// The head's jet at output j: -softmax(F)_j = -exp(F_j - LSE(F)), from p = softmax(f0)_j,
// F_j's f1, f2 and LSE's coefficients l1 = p.f1 and l2 = p.f2 + (p.f1^2 - l1^2) / 2:
// with h = F_j - LSE, -p (1 + h1 t + (h2 + h1^2 / 2) t^2).
__device__ inline void negative_softmax(float p, float f1, float f2, float l1, float l2, float out[3]) {
    const float h1 = f1 - l1, h2 = f2 - l2;
    out[0] = -p;
    out[1] = -p * h1;
    out[2] = -p * fmaf(0.5f * h1, h1, h2);
}

}  // namespace ebmkit::kernels::jet
