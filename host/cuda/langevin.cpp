// The CUDA Langevin operations (host/ops/langevin.hpp): the fused chain kernel
// (kernels/langevin_chain.cu) when the context asks for the fused path and the chain
// fits, else a step at a time through the MLP's CUDA path and kernels/langevin.cu.
#include <cstring>
#include <vector>

#include "families.hpp"
#include "host/device_memory.hpp"
#include "host/param_layout.hpp"
#include "kernels/graph.hpp"
#include "kernels/langevin.hpp"
#include "kernels/langevin_chain.hpp"
#include "mlp_layers.hpp"
#include "nvtx.hpp"

namespace ebmkit::detail {

namespace {

bool fused_chain(Context& ctx, const MlpEnergy& model, std::int64_t rows, const LangevinParams& p) {
    if (ctx.mlp_path() != MlpPath::Fused || p.mala || p.grad_clip != 0) return false;
    kernels::FusedLangevinChain::Arguments a{mlp_layers(ctx, model), nullptr, rows};
    a.plan = ctx.tile_plan();
    return static_cast<bool>(kernels::FusedLangevinChain::can_implement(a));
}

// All steps in one launch of the fused chain kernel; the trace's per-step energies
// come back in one copy.
LangevinStats langevin_chain_fused(Context& ctx, const MlpEnergy& model, TensorView x, const std::int32_t* labels,
                                   const LangevinParams& p, Steps steps, const std::uint32_t* step_offset, bool trace,
                                   Tensor& scratch) {
    const std::int64_t rows = x.dim(0);
    const std::uint32_t first_step = steps.first, num_steps = steps.count;
    const bool traced = trace && num_steps > 0;
    if (traced) ensure(ctx, scratch, {rows * num_steps}, DType::F32);
    float* energies = traced ? scratch.data<float>() : nullptr;
    const kernels::LangevinStep first{p.alpha, p.sigma, p.clamp, p.lo, p.hi, ctx.seed(), p.first_chain, first_step};
    const kernels::FusedLangevinChain::Arguments a{mlp_layers(ctx, model), x.data<float>(), rows, labels, first,
                                                   num_steps, energies, ctx.tile_plan(), step_offset};
    kernels::FusedLangevinChain::run(a, ctx.workspace(kernels::FusedLangevinChain::workspace_bytes(a)), ctx.stream());
    LangevinStats stats;
    stats.proposals = stats.accepted = rows * static_cast<std::int64_t>(num_steps);
    if (traced) {
        std::vector<float> e(static_cast<std::size_t>(rows * num_steps));
        read_back(ctx, energies, e.data(), sizeof(float) * e.size());
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
// a trace is one step recorded as a CUDA graph and launched num_steps - 1 times (inside
// a recording of the caller's, queued that many times into it), a device counter
// keying each repetition's noise, then the last proposal; the counter starts at
// *step_offset where the caller keys the chain by a counter of its own (plain chains only).
LangevinStats langevin_chain_cuda(Context& ctx, const MlpEnergy& model, TensorView x, const std::int32_t* y,
                                  const LangevinParams& p, Steps steps, const std::uint32_t* step_offset, bool trace,
                                  Tensor& scratch) {
    const std::uint32_t first_step = steps.first, num_steps = steps.count;
    constexpr const char* op = "langevin_chain";
    const std::int64_t rows = x.dim(0), d = x.dim(1);
    // The scratch: a 64-bit device counter of accepted proposals and the step counter,
    // E and grad_x E at the chains, and with MALA the proposals', their E and gradient
    // and their outside-the-box flags.
    // Laid out as a model's parameters are (host/param_layout.hpp: 256-byte aligned pieces).
    const std::int64_t mala_rows = p.mala ? rows : 0;
    std::int64_t total = 0;
    const std::vector<std::int64_t> at =
        packed_offsets({4, rows * d, rows, mala_rows * d, mala_rows * d, mala_rows, mala_rows}, total);
    ensure(ctx, scratch, {total}, DType::F32);
    float* base = scratch.data<float>();
    device_zero(base + at[0], 4 * sizeof(float), ctx.stream());
    auto* accepted = reinterpret_cast<unsigned long long*>(base + at[0]);
    auto* step_counter = reinterpret_cast<std::uint32_t*>(base + at[0] + 2);
    if (step_offset) {
        if (p.mala || trace) throw Error("langevin chain: a step counter on the device keys plain chains only");
        copy_on_stream(ctx, ConstTensorView(step_offset, {1}, DType::I32, Device::Cuda),
                       TensorView(step_counter, {1}, DType::I32, Device::Cuda));
    }
    float* grad = base + at[1];
    float* e = base + at[2];
    const TensorView proposal(base + at[3], {rows, d}, DType::F32, Device::Cuda);
    float* proposal_grad = base + at[4];
    float* proposal_e = base + at[5];
    auto* outside = reinterpret_cast<std::int32_t*>(base + at[6]);
    auto evaluate = [&](ConstTensorView at, float* energy, float* gradient) {
        mlp_energy_cuda(op, ctx, model, at, y, energy, gradient);
        if (p.grad_clip > 0) kernels::clip_rows(gradient, rows, d, p.grad_clip, ctx.stream());
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
                kernels::LangevinPropose::run(
                    {x.data<float>(), grad, rows, d, step_of(0), x.data<float>(), nullptr, step_counter}, nullptr,
                    ctx.stream());
                kernels::advance_counter(step_counter, 1, nullptr, ctx.stream());
                evaluate(x, e, grad);
            },
            num_steps - 1);
        kernels::LangevinPropose::run({x.data<float>(), grad, rows, d, step_of(0), x.data<float>(), nullptr, step_counter},
                                      nullptr, ctx.stream());
        return stats;
    }
    auto accepted_so_far = [&] {
        std::uint64_t n = 0;
        read_back(ctx, accepted, &n, sizeof n);
        return n;
    };
    std::uint64_t before = 0;
    std::vector<float> energies(trace ? static_cast<std::size_t>(rows) : 0);
    for (std::uint32_t s = 0; s < num_steps; ++s) {
        const kernels::LangevinStep k = step_of(s);
        if (p.mala) {
            device_zero(outside, sizeof(std::int32_t) * static_cast<std::size_t>(rows), ctx.stream());
            kernels::LangevinPropose::run({x.data<float>(), grad, rows, d, k, proposal.data<float>(), outside}, nullptr,
                                          ctx.stream());
            evaluate(proposal, proposal_e, proposal_grad);
            kernels::MalaAccept::run({x.data<float>(), grad, e, proposal.data<float>(), proposal_grad, proposal_e,
                                      outside, rows, d, k, accepted},
                                     nullptr, ctx.stream());
        } else {
            kernels::LangevinPropose::run({x.data<float>(), grad, rows, d, k, x.data<float>()}, nullptr, ctx.stream());
            evaluate(x, e, grad);
        }
        if (trace) {
            read_back(ctx, e, energies.data(), sizeof(float) * energies.size());
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
    bool chain_replayable(Context& ctx, const MlpEnergy& model, std::int64_t rows, const LangevinParams& params,
                          bool trace) const override {
        return !trace && (fused_chain(ctx, model, rows, params) || !params.mala);
    }
    LangevinStats chain(Context& ctx, const MlpEnergy& model, const std::int32_t* labels, TensorView x,
                        const LangevinParams& params, Steps steps, const std::uint32_t* step_offset, bool trace,
                        Tensor& scratch) const override {
        const NvtxRange range("ebmkit.langevin.chain");
        if (fused_chain(ctx, model, x.dim(0), params)) {
            return langevin_chain_fused(ctx, model, x, labels, params, steps, step_offset, trace, scratch);
        }
        return langevin_chain_cuda(ctx, model, x, labels, params, steps, step_offset, trace, scratch);
    }
    void scheduled_chain(Context& ctx, const MlpEnergy& model, TensorView x,
                         const std::vector<kernels::ChainSegment>& segments, std::uint32_t first_step,
                         std::uint32_t first_chain) const override {
        const NvtxRange range("ebmkit.langevin.scheduled_chain");
        LangevinParams plain;
        plain.first_chain = first_chain;
        Tensor scratch;
        if (!fused_chain(ctx, model, x.dim(0), plain)) {
            // A chain per segment, step by step.
            for (const kernels::ChainSegment& s : segments) {
                LangevinParams p = plain;
                p.alpha = s.alpha;
                p.sigma = s.sigma;
                langevin_chain_cuda(ctx, model, x, nullptr, p, Steps{first_step, s.steps}, nullptr, false, scratch);
                first_step += s.steps;
            }
            return;
        }
        // Every segment in one launch, the schedule read from the device.
        std::uint32_t total = 0;
        std::vector<float> packed;
        for (const kernels::ChainSegment& s : segments) {
            total += s.steps;
            float steps_bits;
            static_assert(sizeof(kernels::ChainSegment) == 3 * sizeof(float), "ChainSegment packs into three words");
            std::memcpy(&steps_bits, &s.steps, sizeof steps_bits);
            packed.insert(packed.end(), {s.alpha, s.sigma, steps_bits});
        }
        Tensor schedule({static_cast<std::int64_t>(packed.size())}, DType::F32, ctx);
        copy_on_stream(ctx, ConstTensorView(packed.data(), {static_cast<std::int64_t>(packed.size())}, DType::F32,
                                            Device::Host),
                       schedule);
        const kernels::LangevinStep first{0.0f, 0.0f, false, -1.0f, 1.0f, ctx.seed(), first_chain, first_step};
        kernels::FusedLangevinChain::Arguments a{mlp_layers(ctx, model), x.data<float>(), x.dim(0), nullptr, first,
                                                 total, nullptr, ctx.tile_plan(), nullptr};
        a.segments = reinterpret_cast<const kernels::ChainSegment*>(schedule.data<float>());
        a.segment_count = static_cast<int>(segments.size());
        kernels::FusedLangevinChain::run(a, ctx.workspace(kernels::FusedLangevinChain::workspace_bytes(a)), ctx.stream());
    }
};

}  // namespace

const LangevinOps& cuda_langevin_ops() {
    static const CudaLangevin ops;
    return ops;
}

}  // namespace ebmkit::detail
