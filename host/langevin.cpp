#include "ebmkit/langevin.hpp"

#include <cmath>
#include <string>
#include <vector>

#include "check.hpp"
#include "cpu/langevin.hpp"
#include "device_memory.hpp"
#include "langevin_unchecked.hpp"
#if EBMKIT_WITH_CUDA
#include "kernels/langevin.hpp"
#include "kernels/graph.hpp"
#include "kernels/langevin_chain.hpp"
#include "mlp_layers.hpp"
#endif

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

#if EBMKIT_WITH_CUDA
bool fused_chain(Context& ctx, const MlpEnergy& model, std::int64_t rows, const LangevinParams& p) {
    return ctx.backend() == Backend::Cuda && ctx.mlp_path() == MlpPath::Fused && !p.mala && p.grad_clip == 0 &&
           kernels::langevin_chain_fused_rows(detail::mlp_layers(ctx, model), rows) > 0;
}

// All steps in one launch of the fused chain kernel; the trace's per-step energies
// come back in one copy.
LangevinStats langevin_chain_fused(Context& ctx, const MlpEnergy& model, TensorView x, ConstTensorView labels,
                                   const LangevinParams& p, std::uint32_t first_step, std::uint32_t num_steps,
                                   bool trace) {
    const std::int64_t rows = x.dim(0);
    Tensor energies;
    if (trace && num_steps > 0) energies = Tensor({static_cast<std::int64_t>(num_steps), rows}, DType::F32, Device::Cuda);
    const kernels::LangevinStep first{p.alpha, p.sigma, p.clamp, p.lo, p.hi, ctx.seed(), p.first_chain, first_step};
    kernels::langevin_chain_fused(detail::mlp_layers(ctx, model), x.data<float>(), rows,
                                  labels.raw() ? labels.data<std::int32_t>() : nullptr, first, num_steps,
                                  energies.empty() ? nullptr : energies.data<float>(), ctx.stream());
    LangevinStats stats;
    stats.proposals = stats.accepted = rows * static_cast<std::int64_t>(num_steps);
    if (!energies.empty()) {
        const std::vector<float> e = energies.to_vector<float>();
        for (std::uint32_t s = 0; s < num_steps; ++s) {
            double sum = 0;
            for (std::int64_t r = 0; r < rows; ++r) sum += e[static_cast<std::size_t>(s * rows + r)];
            stats.mean_energy.push_back(sum / static_cast<double>(rows));
            stats.acceptance.push_back(1.0);
        }
    }
    return stats;
}

// Every step: E and grad_x E through the MLP's CUDA path, then the proposal kernel;
// with MALA the proposal's E and gradient and the accept kernel. A plain chain without
// a trace is one step recorded as a CUDA graph and launched num_steps - 1 times, a
// device counter keying each repetition's noise, then the last proposal.
LangevinStats langevin_chain_cuda(Context& ctx, const MlpEnergy& model, TensorView x, ConstTensorView labels,
                                  const LangevinParams& p, std::uint32_t first_step, std::uint32_t num_steps, bool trace) {
    constexpr const char* op = "langevin_chain";
    const std::int64_t rows = x.dim(0), d = x.dim(1);
    const std::int32_t* y = labels.raw() ? labels.data<std::int32_t>() : nullptr;
    Tensor grad({rows, d}, DType::F32, Device::Cuda), e({rows}, DType::F32, Device::Cuda);
    // A 64-bit device counter of accepted proposals in two int32 elements, then the step counter.
    Tensor counters = Tensor::zeros({3}, DType::I32, Device::Cuda);
    auto* accepted = reinterpret_cast<unsigned long long*>(counters.data<std::int32_t>());
    auto* step_counter = reinterpret_cast<std::uint32_t*>(counters.data<std::int32_t>() + 2);
    auto evaluate = [&](ConstTensorView at, Tensor& energy, Tensor& gradient) {
        detail::mlp_energy_cuda(op, ctx, model, at, y, energy.data<float>(), gradient.data<float>());
        if (p.grad_clip > 0) kernels::clip_rows(gradient.data<float>(), rows, d, p.grad_clip, ctx.stream());
    };
    auto step_of = [&](std::uint32_t s) {
        return kernels::LangevinStep{p.alpha, p.sigma, p.clamp, p.lo, p.hi, ctx.seed(), p.first_chain, first_step + s};
    };
    LangevinStats stats;
    stats.proposals = rows * static_cast<std::int64_t>(num_steps);
    stats.accepted = stats.proposals;
    if (num_steps == 0) return stats;
    evaluate(x, e, grad);
    if (!p.mala && !trace) {
        kernels::repeat_as_graph(
            ctx.stream(),
            [&] {
                kernels::langevin_propose(x.data<float>(), grad.data<float>(), rows, d, step_of(0), x.data<float>(),
                                          nullptr, step_counter, ctx.stream());
                kernels::advance_counter(step_counter, ctx.stream());
                evaluate(x, e, grad);
            },
            num_steps - 1);
        kernels::langevin_propose(x.data<float>(), grad.data<float>(), rows, d, step_of(0), x.data<float>(), nullptr,
                                  step_counter, ctx.stream());
        return stats;
    }
    Tensor proposal, proposal_grad, proposal_e, outside;
    if (p.mala) {
        proposal = Tensor({rows, d}, DType::F32, Device::Cuda);
        proposal_grad = Tensor({rows, d}, DType::F32, Device::Cuda);
        proposal_e = Tensor({rows}, DType::F32, Device::Cuda);
        outside = Tensor({rows}, DType::I32, Device::Cuda);
    }
    auto accepted_so_far = [&] {
        std::uint64_t n = 0;
        detail::device_copy(&n, Device::Host, accepted, Device::Cuda, sizeof n);
        return n;
    };
    std::uint64_t before = 0;
    for (std::uint32_t s = 0; s < num_steps; ++s) {
        const kernels::LangevinStep k = step_of(s);
        if (p.mala) {
            detail::device_zero(outside.data<std::int32_t>(), outside.bytes());
            kernels::langevin_propose(x.data<float>(), grad.data<float>(), rows, d, k, proposal.data<float>(),
                                      outside.data<std::int32_t>(), nullptr, ctx.stream());
            evaluate(proposal, proposal_e, proposal_grad);
            kernels::mala_accept(x.data<float>(), grad.data<float>(), e.data<float>(), proposal.data<float>(),
                                 proposal_grad.data<float>(), proposal_e.data<float>(), outside.data<std::int32_t>(),
                                 rows, d, k, accepted, ctx.stream());
        } else {
            kernels::langevin_propose(x.data<float>(), grad.data<float>(), rows, d, k, x.data<float>(), nullptr, nullptr,
                                      ctx.stream());
            evaluate(x, e, grad);
        }
        if (trace) {
            const std::vector<float> energies = e.to_vector<float>();
            double sum = 0;
            for (float v : energies) sum += v;
            stats.mean_energy.push_back(sum / static_cast<double>(rows));
            const std::uint64_t now = p.mala ? accepted_so_far() : before + static_cast<std::uint64_t>(rows);
            stats.acceptance.push_back(static_cast<double>(now - before) / static_cast<double>(rows));
            before = now;
        }
    }
    if (p.mala) stats.accepted = static_cast<std::int64_t>(accepted_so_far());
    return stats;
}
#endif

}  // namespace

bool uses_fused_chain(Context& ctx, const MlpEnergy& model, std::int64_t chains, const LangevinParams& params) {
#if EBMKIT_WITH_CUDA
    return fused_chain(ctx, model, chains, params);
#else
    (void)ctx;
    (void)model;
    (void)chains;
    (void)params;
    return false;
#endif
}

LangevinParams LangevinParams::with_temperature(float alpha, float temperature) {
    detail::check_positive("LangevinParams::with_temperature", "alpha", alpha);
    detail::check_positive("LangevinParams::with_temperature", "temperature", temperature);
    LangevinParams p;
    p.alpha = alpha;
    p.sigma = std::sqrt(2.0f * alpha * temperature);
    return p;
}

LangevinStats langevin_chain(Context& ctx, const MlpEnergy& model, TensorView x, ConstTensorView labels,
                             const LangevinParams& params, std::uint32_t first_step, std::uint32_t num_steps, bool trace) {
    constexpr const char* op = "langevin_chain";
    detail::check_input(op, ctx, model, x);
    if (labels.raw()) detail::check_labels(op, ctx, model, labels, x.dim(0));
    check_params(op, params);
    return detail::langevin_chain_unchecked(ctx, model, x, labels, params, first_step, num_steps, trace);
}

LangevinStats detail::langevin_chain_unchecked(Context& ctx, const MlpEnergy& model, TensorView x,
                                               ConstTensorView labels, const LangevinParams& params,
                                               std::uint32_t first_step, std::uint32_t num_steps, bool trace) {
    const bool conditional = labels.raw() != nullptr;
#if EBMKIT_WITH_CUDA
    if (fused_chain(ctx, model, x.dim(0), params)) {
        return langevin_chain_fused(ctx, model, x, labels, params, first_step, num_steps, trace);
    }
    if (ctx.backend() == Backend::Cuda) {
        return langevin_chain_cuda(ctx, model, x, labels, params, first_step, num_steps, trace);
    }
#endif
    return cpu::langevin_chain(cpu::params_of(model), x.data<float>(), conditional ? labels.data<std::int32_t>() : nullptr,
                               x.dim(0), params, ctx.seed(), first_step, num_steps, trace);
}

LangevinStats langevin_chain(Context& ctx, const MlpEnergy& model, TensorView x, const LangevinParams& params,
                             std::uint32_t first_step, std::uint32_t num_steps, bool trace) {
    return langevin_chain(ctx, model, x, ConstTensorView(), params, first_step, num_steps, trace);
}

LangevinStats langevin_step(Context& ctx, const MlpEnergy& model, TensorView x, const LangevinParams& params,
                            std::uint32_t step) {
    return langevin_chain(ctx, model, x, params, step, 1);
}

}  // namespace ebmkit
