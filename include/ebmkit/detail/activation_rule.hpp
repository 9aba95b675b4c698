// Internal: the MLP's hidden activations and their derivatives in float, written once
// for the kernels (kernels/activation.cuh) and the energies of the concept
// (ebmkit/mlp_energy_view.hpp), on the host and the device. The CPU twin of the MLP
// computes the same functions in double (host/cpu/mlp.cpp). ELU has alpha = 1; leaky
// ReLU takes its slope.
#pragma once

#include <math.h>

#include "ebmkit/detail/host_device.hpp"
#include "ebmkit/mlp.hpp"

namespace ebmkit::detail {

EBMKIT_HOST_DEVICE float activate(ActivationKind act, float slope, float z) {
    switch (act) {
        case ActivationKind::Relu: return fmaxf(z, 0.0f);
        case ActivationKind::LeakyRelu: return z > 0.0f ? z : slope * z;
        case ActivationKind::Elu: return z > 0.0f ? z : expm1f(z);
        case ActivationKind::Silu: return z / (1.0f + expf(-z));
        case ActivationKind::Tanh: return tanhf(z);
        case ActivationKind::Softplus: return fmaxf(z, 0.0f) + log1pf(expf(-fabsf(z)));
    }
    return z;
}

EBMKIT_HOST_DEVICE float activate_grad(ActivationKind act, float slope, float z) {
    switch (act) {
        case ActivationKind::Relu: return z > 0.0f ? 1.0f : 0.0f;
        case ActivationKind::LeakyRelu: return z > 0.0f ? 1.0f : slope;
        case ActivationKind::Elu: return z > 0.0f ? 1.0f : expf(z);
        case ActivationKind::Silu: {
            const float s = 1.0f / (1.0f + expf(-z));
            return s * (1.0f + z * (1.0f - s));
        }
        case ActivationKind::Tanh: {
            const float t = tanhf(z);
            return 1.0f - t * t;
        }
        case ActivationKind::Softplus: return 1.0f / (1.0f + expf(-z));
    }
    return 1.0f;
}

// The second derivative, for the score family's second-order passes (kernels/score_fused.cuh);
// zero for the piecewise-linear activations (their kinks aside).
EBMKIT_HOST_DEVICE float activate_grad2(ActivationKind act, float, float z) {
    switch (act) {
        case ActivationKind::Relu:
        case ActivationKind::LeakyRelu: return 0.0f;
        case ActivationKind::Elu: return z > 0.0f ? 0.0f : expf(z);
        case ActivationKind::Silu: {
            // silu = z s, s = sigmoid z: silu'' = s (1 - s) (2 + z (1 - 2 s)).
            const float s = 1.0f / (1.0f + expf(-z));
            return s * (1.0f - s) * (2.0f + z * (1.0f - 2.0f * s));
        }
        case ActivationKind::Tanh: {
            const float t = tanhf(z);
            return -2.0f * t * (1.0f - t * t);
        }
        case ActivationKind::Softplus: {
            const float s = 1.0f / (1.0f + expf(-z));
            return s * (1.0f - s);
        }
    }
    return 0.0f;
}

// The third derivative, for sliced score matching's order-2 Taylor passes (kernels/score_sliced.cuh).
EBMKIT_HOST_DEVICE float activate_grad3(ActivationKind act, float, float z) {
    switch (act) {
        case ActivationKind::Relu:
        case ActivationKind::LeakyRelu: return 0.0f;
        case ActivationKind::Elu: return z > 0.0f ? 0.0f : expf(z);
        case ActivationKind::Silu: {
            // With q = s (1 - s) = s': silu''' = q ((1 - 2 s) (3 + z (1 - 2 s)) - 2 z q).
            const float s = 1.0f / (1.0f + expf(-z)), q = s * (1.0f - s), m = 1.0f - 2.0f * s;
            return q * (m * (3.0f + z * m) - 2.0f * z * q);
        }
        case ActivationKind::Tanh: {
            // tanh' = 1 - t^2 = u, tanh'' = -2 t u, tanh''' = -2 u (1 - 3 t^2).
            const float t = tanhf(z), u = 1.0f - t * t;
            return -2.0f * u * (1.0f - 3.0f * t * t);
        }
        case ActivationKind::Softplus: {
            const float s = 1.0f / (1.0f + expf(-z));
            return s * (1.0f - s) * (1.0f - 2.0f * s);
        }
    }
    return 0.0f;
}

}  // namespace ebmkit::detail
