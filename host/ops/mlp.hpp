// The MLP energy's operations (host/ops/ops.hpp): logits, E and grad_x E, the
// parameter gradient. op names the public caller in errors.
#pragma once

#include <cstdint>

#include "ebmkit/context.hpp"
#include "ebmkit/mlp.hpp"

namespace ebmkit::detail {

class MlpOps {
public:
    virtual ~MlpOps() = default;
    // Whether ctx computes x [rows, D] with the fused kernels (mlp.hpp's uses_fused_mlp).
    virtual bool uses_fused(Context& ctx, const MlpEnergy& model, std::int64_t rows) const = 0;
    // logits [rows, K] = f(x).
    virtual void logits(const char* op, Context& ctx, const MlpEnergy& model, ConstTensorView x,
                        float* logits) const = 0;
    // energy [rows] and grad [rows, D] = grad_x E (either nullable, not both) of E(x) or,
    // with labels, E(x, y). Neither synchronises nor copies to the host (CUDA graphs
    // capture it once the context's workspace has its size).
    virtual void energy(const char* op, Context& ctx, const MlpEnergy& model, ConstTensorView x,
                        const std::int32_t* labels, float* energy, float* grad) const = 0;
    // grad's parameters = (or += when accumulate) d/dtheta of sum_r dlogits[r] . f(x_r).
    virtual void param_grad(const char* op, Context& ctx, const MlpEnergy& model, ConstTensorView x,
                            const float* dlogits, MlpEnergy& grad, bool accumulate) const = 0;
};

}  // namespace ebmkit::detail
