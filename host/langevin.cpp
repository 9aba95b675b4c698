#include "ebmkit/langevin.hpp"

#include <cmath>
#include <string>

#include "check.hpp"
#include "device_memory.hpp"
#include "ops/ops.hpp"

namespace ebmkit {

namespace {

void check_params(const char* op, const LangevinParams& params) {
    detail::check_positive(op, "params.alpha", params.alpha);
    detail::check_non_negative(op, "params.sigma", params.sigma);
    detail::check_non_negative(op, "params.grad_clip", params.grad_clip);
    if (params.mala && params.sigma == 0.0f) {
        detail::fail(std::string(op) + ": params.sigma must be > 0 with MALA (the proposal needs a density)");
    }
    if (params.clamp) {
        detail::check_finite(op, "params.lo", params.lo);
        detail::check_finite(op, "params.hi", params.hi);
        if (!(params.lo < params.hi)) {
            detail::fail(std::string(op) + ": params.lo (" + std::to_string(params.lo) + ") must be < params.hi (" +
                         std::to_string(params.hi) + ")");
        }
    }
}


}  // namespace

bool uses_fused_chain(Context& ctx, const MlpEnergy& model, std::int64_t chains, const LangevinParams& params) {
    return detail::ops(ctx).langevin.uses_fused_chain(ctx, model, chains, params);
}

LangevinParams LangevinParams::with_temperature(float alpha, float temperature) {
    detail::check_positive("LangevinParams::with_temperature", "alpha", alpha);
    detail::check_positive("LangevinParams::with_temperature", "temperature", temperature);
    LangevinParams p;
    p.alpha = alpha;
    p.sigma = std::sqrt(2.0f * alpha * temperature);
    return p;
}

namespace {

// A chain's inputs: x [N, D], labels (optional) [N], the parameters.
void check_chain(const char* op, Context& ctx, const MlpEnergy& model, ConstTensorView labels, ConstTensorView x,
                 const LangevinParams& params) {
    detail::check_input(op, ctx, model, x);
    if (labels.raw()) detail::check_labels(op, ctx, model, labels, x.dim(0));
    check_params(op, params);
}

}  // namespace

LangevinStats langevin_chain(Context& ctx, const MlpEnergy& model, ConstTensorView labels, TensorView x,
                             const LangevinParams& params, Steps steps, bool trace) {
    check_chain("langevin_chain", ctx, model, labels, x, params);
    Tensor scratch;  // a call's own: a loop that must not allocate keeps one (LangevinSampler)
    return detail::ops(ctx).langevin.chain(ctx, model, labels.raw() ? labels.data<std::int32_t>() : nullptr, x, params,
                                           steps, nullptr, trace, scratch);
}

LangevinStats langevin_chain(Context& ctx, const MlpEnergy& model, ConstTensorView labels, TensorView x,
                             const LangevinParams& params, Steps steps, ConstTensorView clamp) {
    constexpr const char* op = "langevin_chain";
    check_chain(op, ctx, model, labels, x, params);
    detail::check_tensor(op, "clamp", clamp, {x.dim(0), x.dim(1)}, DType::F32, ctx.device());
    detail::check_no_alias(op, "x", x, "clamp", clamp);
    if (params.mala) detail::fail(std::string(op) + ": clamped chains are unadjusted Langevin (params.mala must be false)");
    // Every step a chain of one step, then the clamped coordinates put back.
    const detail::Ops& ops = detail::ops(ctx);
    Tensor kept(x.shape(), DType::F32, ctx), scratch;
    detail::copy_on_stream(ctx, x, kept);
    const std::int32_t* y = labels.raw() ? labels.data<std::int32_t>() : nullptr;
    LangevinStats stats;
    for (std::uint32_t s = 0; s < steps.count; ++s) {
        const LangevinStats one = ops.langevin.chain(ctx, model, y, x, params, Steps{steps.first + s, 1}, nullptr, false,
                                                     scratch);
        stats.proposals += one.proposals;
        stats.accepted += one.accepted;
        ops.sample_steps.restore_clamped(ctx, x.data<float>(), kept.data<float>(), clamp.data<float>(), x.numel());
    }
    return stats;
}

LangevinStats langevin_chain(Context& ctx, const MlpEnergy& model, TensorView x, const LangevinParams& params,
                             Steps steps, bool trace) {
    return langevin_chain(ctx, model, ConstTensorView(), x, params, steps, trace);
}

LangevinStats langevin_step(Context& ctx, const MlpEnergy& model, TensorView x, const LangevinParams& params,
                            std::uint32_t step) {
    return langevin_chain(ctx, model, x, params, Steps{step, 1});
}

}  // namespace ebmkit
