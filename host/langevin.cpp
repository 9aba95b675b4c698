#include "ebmkit/langevin.hpp"

#include "check.hpp"
#include "cpu/langevin.hpp"

namespace ebmkit {

namespace {

void check_params(const char* op, const LangevinParams& params) {
    detail::check_positive(op, "params.alpha", params.alpha);
    detail::check_non_negative(op, "params.sigma", params.sigma);
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

void langevin_chain(Context& ctx, const MlpEnergy& model, TensorView x, const LangevinParams& params,
                    std::uint32_t first_step, std::uint32_t num_steps) {
    constexpr const char* op = "langevin_chain";
    detail::check_input(op, ctx, model, x);
    check_params(op, params);
    detail::require_cpu_backend(ctx, op);
    cpu::langevin_chain(cpu::params_of(model), x.data<float>(), x.dim(0), params, ctx.seed(), first_step, num_steps);
}

void langevin_step(Context& ctx, const MlpEnergy& model, TensorView x, const LangevinParams& params,
                   std::uint32_t step) {
    langevin_chain(ctx, model, x, params, step, 1);
}

}  // namespace ebmkit
