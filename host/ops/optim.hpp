// The optimizers' operations (host/ops/ops.hpp): kernels/optim_rule.hpp's updates.
#pragma once

#include <cstdint>

#include "ebmkit/context.hpp"
#include "kernels/optim_rule.hpp"

namespace ebmkit::detail {

class OptimOps {
public:
    virtual ~OptimOps() = default;
    // One step of param [n] from grad, with its moments first and second (nullable: SGD).
    virtual void step(Context& ctx, float* param, float* first, float* second, const float* grad, std::int64_t n,
                      const kernels::OptimizerStep& s) const = 0;
    // The RBM trainer's momentum ascent: velocity = momentum velocity + lr (grad - decay
    // param), param += velocity.
    virtual void momentum_ascent(Context& ctx, float* param, float* velocity, const float* grad, std::int64_t n,
                                 float lr, float momentum, float decay) const = 0;
};

}  // namespace ebmkit::detail
