// The per-element optimizer rules (include/ebmkit/optim.hpp), shared by the CUDA
// kernel and the CPU path so both apply the same float arithmetic.
#pragma once

#include <math.h>

#include "ebmkit/detail/host_device.hpp"
#include "ebmkit/optim.hpp"

namespace ebmkit::kernels {

// first / second are the rule's state (second unused by Sgd); the corrections are
// 1 - b1^t and 1 - b2^t at step t.
struct OptimizerStep {
    OptimizerKind rule;
    float lr, momentum, beta1, beta2, eps, weight_decay;
    float first_correction, second_correction;
};

EBMKIT_HOST_DEVICE void apply_optimizer_rule(float& p, float& first, float& second, float g, const OptimizerStep& s) {
    g += s.weight_decay * p;
    switch (s.rule) {
        case OptimizerKind::Sgd:
            first = s.momentum * first + g;
            p -= s.lr * first;
            break;
        case OptimizerKind::Adam:
            first = s.beta1 * first + (1.0f - s.beta1) * g;
            second = s.beta2 * second + (1.0f - s.beta2) * g * g;
            p -= s.lr * (first / s.first_correction) / (sqrtf(second / s.second_correction) + s.eps);
            break;
        case OptimizerKind::Adamax:
            first = s.beta1 * first + (1.0f - s.beta1) * g;
            second = fmaxf(s.beta2 * second, fabsf(g) + s.eps);
            p -= s.lr / s.first_correction * first / second;
            break;
    }
}

}  // namespace ebmkit::kernels
