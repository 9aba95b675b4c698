// The per-element optimizer rules (include/ebmkit/optim.hpp), shared by the CUDA
// kernel and the CPU path so both apply the same float arithmetic.
#pragma once

#include <math.h>

#include <cstdint>

#include "ebmkit/detail/host_device.hpp"
#include "ebmkit/optim.hpp"

namespace ebmkit::kernels {

// first / second are the rule's state (second unused by Sgd); the corrections are
// 1 - b1^t and 1 - b2^t at step t. A step in a replayed graph (host/jem.cpp) reads t
// where it runs: with steps_before (a counter beside the parameters, nullable) the
// corrections are those of t = *steps_before + 1, and with skip (nullable) pointing to
// a nonzero word the step changes nothing.
struct OptimizerStep {
    OptimizerKind rule;
    float lr, momentum, beta1, beta2, eps, weight_decay;
    float first_correction, second_correction;
    const std::uint32_t* steps_before = nullptr;
    const std::int32_t* skip = nullptr;
};

// 1 - beta^t in double, then rounded.
EBMKIT_HOST_DEVICE float bias_correction(float beta, double t) {
    return static_cast<float>(1.0 - pow(static_cast<double>(beta), t));
}

// s with its corrections at the step it reads (no change without steps_before).
EBMKIT_HOST_DEVICE OptimizerStep at_counted_step(OptimizerStep s) {
    if (s.steps_before) {
        const double t = static_cast<double>(*s.steps_before) + 1.0;
        s.first_correction = bias_correction(s.beta1, t);
        s.second_correction = bias_correction(s.beta2, t);
    }
    return s;
}

EBMKIT_HOST_DEVICE bool skipped(const std::int32_t* skip) { return skip && *skip != 0; }

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
