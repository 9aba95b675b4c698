// The CUDA Langevin operations (host/ops/langevin.hpp): the fused chain kernel
// (kernels/langevin_chain.cu) when the context asks for the fused path and the chain
// fits, else a step at a time through the MLP's CUDA path and kernels/langevin.cu.
#include <vector>

#include "families.hpp"
#include "host/device_memory.hpp"
#include "kernels/graph.hpp"
#include "kernels/langevin.hpp"
#include "kernels/langevin_chain.hpp"
#include "mlp_layers.hpp"
#include "nvtx.hpp"

namespace ebmkit::detail {

namespace {

bool fused_chain(Context& ctx, const MlpEnergy& model, std::int64_t rows, const LangevinParams& p) {
    return ctx.mlp_path() == MlpPath::Fused && !p.mala && p.grad_clip == 0 &&
           kernels::langevin_chain_fused_rows(mlp_layers(ctx, model), rows) > 0;
}

// All steps in one launch of the fused chain kernel; the trace's per-step energies
// come back in one copy.
LangevinStats langevin_chain_fused(Context& ctx, const MlpEnergy& model, TensorView x, const std::int32_t* labels,
                                   const LangevinParams& p, std::uint32_t first_step, std::uint32_t num_steps,
                                   bool trace) {
    const std::int64_t rows = x.dim(0);
    Tensor energies;
    if (trace && num_steps > 0) energies = Tensor({static_cast<std::int64_t>(num_steps), rows}, DType::F32, Device::Cuda);
    const kernels::LangevinStep first{p.alpha, p.sigma, p.clamp, p.lo, p.hi, ctx.seed(), p.first_chain, first_step};
    kernels::langevin_chain_fused(mlp_layers(ctx, model), x.data<float>(), rows,
                                  labels, first, num_steps,
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
LangevinStats langevin_chain_cuda(Context& ctx, const MlpEnergy& model, TensorView x, const std::int32_t* y,
                                  const LangevinParams& p, std::uint32_t first_step, std::uint32_t num_steps, bool trace) {
    constexpr const char* op = "langevin_chain";
    const std::int64_t rows = x.dim(0), d = x.dim(1);
    Tensor grad({rows, d}, DType::F32, Device::Cuda), e({rows}, DType::F32, Device::Cuda);
    // A 64-bit device counter of accepted proposals in two int32 elements, then the step counter.
    Tensor counters = Tensor::zeros({3}, DType::I32, Device::Cuda);
    auto* accepted = reinterpret_cast<unsigned long long*>(counters.data<std::int32_t>());
    auto* step_counter = reinterpret_cast<std::uint32_t*>(counters.data<std::int32_t>() + 2);
    auto evaluate = [&](ConstTensorView at, Tensor& energy, Tensor& gradient) {
        mlp_energy_cuda(op, ctx, model, at, y, energy.data<float>(), gradient.data<float>());
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
        device_copy(&n, Device::Host, accepted, Device::Cuda, sizeof n);
        return n;
    };
    std::uint64_t before = 0;
    for (std::uint32_t s = 0; s < num_steps; ++s) {
        const kernels::LangevinStep k = step_of(s);
        if (p.mala) {
            device_zero(outside.data<std::int32_t>(), outside.bytes());
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
class CudaLangevin final : public LangevinOps {
public:
    bool uses_fused_chain(Context& ctx, const MlpEnergy& model, std::int64_t rows,
                          const LangevinParams& params) const override {
        return fused_chain(ctx, model, rows, params);
    }
    LangevinStats chain(Context& ctx, const MlpEnergy& model, TensorView x, const std::int32_t* labels,
                        const LangevinParams& params, std::uint32_t first_step, std::uint32_t num_steps,
                        bool trace) const override {
        const NvtxRange range("ebmkit.langevin.chain");
        if (fused_chain(ctx, model, x.dim(0), params)) {
            return langevin_chain_fused(ctx, model, x, labels, params, first_step, num_steps, trace);
        }
        return langevin_chain_cuda(ctx, model, x, labels, params, first_step, num_steps, trace);
    }
};

}  // namespace

const LangevinOps& cuda_langevin_ops() {
    static const CudaLangevin ops;
    return ops;
}

}  // namespace ebmkit::detail
