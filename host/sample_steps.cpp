#include "ebmkit/sample_steps.hpp"

#include <string>

#include "check.hpp"
#include "ops/ops.hpp"

namespace ebmkit {

namespace {

// The checks every step shares: the parameters (as sample() checks them; the mass comes
// as a tensor here), a [N, D] array on the context's device, and the mass [D] if given.
void check_step(const char* op, Context& ctx, ConstTensorView x, const SampleParams& params, ConstTensorView mass) {
    detail::check_tensor(op, "x", x, {detail::any_dim, detail::any_dim}, DType::F32, ctx.device());
    if (!params.mass.empty()) {
        detail::fail(std::string(op) + ": params.mass must be empty; the step operations take the mass as a tensor");
    }
    detail::check_sample(op, ctx, static_cast<int>(x.dim(1)), x, params);
    if (mass.raw()) detail::check_tensor(op, "mass", mass, {x.dim(1)}, DType::F32, ctx.device());
}

detail::ChainRule rule_of(Context& ctx, const SampleParams& params, ConstTensorView mass) {
    return detail::chain_rule(ctx, params, mass.raw() ? mass.data<float>() : nullptr);
}

}  // namespace

void sample_propose(Context& ctx, ConstTensorView x, ConstTensorView grad, const SampleParams& params,
                    std::uint32_t step, TensorView proposal) {
    constexpr const char* op = "sample_propose";
    check_step(op, ctx, x, params, {});
    detail::check_tensor(op, "grad", grad, {x.dim(0), x.dim(1)}, DType::F32, ctx.device());
    detail::check_tensor(op, "proposal", proposal, {x.dim(0), x.dim(1)}, DType::F32, ctx.device());
    if (proposal.raw() != x.raw()) detail::check_no_alias(op, "proposal", proposal, "x", x);
    detail::check_no_alias(op, "proposal", proposal, "grad", grad);
    detail::ops(ctx).sample_steps.propose(ctx, x.data<float>(), grad.data<float>(), x.dim(0), static_cast<int>(x.dim(1)),
                                          rule_of(ctx, params, {}), params.first_chain, step, proposal.data<float>());
}

void sample_momentum(Context& ctx, TensorView momentum, const SampleParams& params, std::uint32_t step,
                     ConstTensorView mass) {
    constexpr const char* op = "sample_momentum";
    check_step(op, ctx, momentum, params, mass);
    detail::ops(ctx).sample_steps.momentum(ctx, momentum.data<float>(), momentum.dim(0), static_cast<int>(momentum.dim(1)),
                                           rule_of(ctx, params, mass), params.first_chain, step);
}

void sample_accept(Context& ctx, TensorView x, TensorView energy, TensorView grad, ConstTensorView proposal,
                   ConstTensorView proposal_energy, ConstTensorView proposal_grad, const SampleParams& params,
                   std::uint32_t step, TensorView accepted, ConstTensorView momentum, ConstTensorView proposal_momentum,
                   ConstTensorView mass) {
    constexpr const char* op = "sample_accept";
    check_step(op, ctx, x, params, mass);
    const std::int64_t n = x.dim(0), d = x.dim(1);
    if (params.kind == SamplerKind::Ula) detail::fail(std::string(op) + ": ULA takes no Metropolis test");
    detail::check_tensor(op, "energy", energy, {n}, DType::F32, ctx.device());
    detail::check_tensor(op, "grad", grad, {n, d}, DType::F32, ctx.device());
    detail::check_tensor(op, "proposal", proposal, {n, d}, DType::F32, ctx.device());
    detail::check_tensor(op, "proposal_energy", proposal_energy, {n}, DType::F32, ctx.device());
    detail::check_tensor(op, "proposal_grad", proposal_grad, {n, d}, DType::F32, ctx.device());
    detail::check_tensor(op, "accepted", accepted, {n}, DType::I32, ctx.device());
    const bool hmc = params.kind == SamplerKind::Hmc;
    if (hmc) {
        detail::check_tensor(op, "momentum", momentum, {n, d}, DType::F32, ctx.device());
        detail::check_tensor(op, "proposal_momentum", proposal_momentum, {n, d}, DType::F32, ctx.device());
    } else if (momentum.raw() || proposal_momentum.raw()) {
        detail::fail(std::string(op) + ": momenta are HMC's; MALA's test takes none");
    }
    for (const auto& [name, t] : {std::pair<const char*, ConstTensorView>{"proposal", proposal},
                                  {"proposal_energy", proposal_energy}, {"proposal_grad", proposal_grad}}) {
        detail::check_no_alias(op, "x", x, name, t);
        detail::check_no_alias(op, "energy", energy, name, t);
        detail::check_no_alias(op, "grad", grad, name, t);
    }
    const detail::StepAccept a{x.data<float>(),
                               energy.data<float>(),
                               grad.data<float>(),
                               proposal.data<float>(),
                               proposal_energy.data<float>(),
                               proposal_grad.data<float>(),
                               hmc ? momentum.data<float>() : nullptr,
                               hmc ? proposal_momentum.data<float>() : nullptr,
                               accepted.data<std::int32_t>(),
                               n,
                               static_cast<int>(d)};
    detail::ops(ctx).sample_steps.accept(ctx, a, rule_of(ctx, params, mass), params.first_chain, step);
}

}  // namespace ebmkit
