#include "optim.hpp"

namespace ebmkit::cpu {

void momentum_ascent_step(float* param, float* velocity, const float* grad, std::int64_t n, float lr, float momentum,
                          float decay) {
#pragma omp parallel for simd schedule(static)
    for (std::int64_t i = 0; i < n; ++i) {
        velocity[i] = momentum * velocity[i] + lr * (grad[i] - decay * param[i]);
        param[i] += velocity[i];
    }
}

}  // namespace ebmkit::cpu

namespace ebmkit::cpu {

void optimizer_step(float* param, float* first, float* second, const float* grad, std::int64_t n,
                    const kernels::OptimizerStep& step) {
    if (kernels::skipped(step.skip)) return;
    const kernels::OptimizerStep s = kernels::at_counted_step(step);
    float unused = 0.0f;
#pragma omp parallel for schedule(static) firstprivate(unused)
    for (std::int64_t i = 0; i < n; ++i) kernels::apply_optimizer_rule(param[i], first[i], second ? second[i] : unused, grad[i], s);
}

}  // namespace ebmkit::cpu
