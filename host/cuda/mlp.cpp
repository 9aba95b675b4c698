// The CUDA MLP operations (host/ops/mlp.hpp): the unfused path (cuBLAS products and
// elementwise kernels, kernels/mlp.cu) unless the context asks for the fused kernels
// (kernels/mlp_fused.cu; docs/ARCHITECTURE.md §8).
#include <string>
#include <vector>

#include "families.hpp"
#include "host/check.hpp"
#include "host/device_memory.hpp"
#include "kernels/jem.hpp"
#include "kernels/mlp.hpp"
#include "kernels/mlp_fused.hpp"
#include "mlp_layers.hpp"
#include "nvtx.hpp"

namespace ebmkit::detail {

kernels::MlpLayers mlp_layers(const Context& ctx, const MlpEnergy& model) {
    kernels::MlpLayers l{model.widths(), model.activation().kind,
                         model.activation().leaky_slope, {}, {}, ctx.precision()};
    for (int i = 0; i < model.num_layers(); ++i) {
        l.weights.push_back(model.weight(i).data<float>());
        l.biases.push_back(model.bias(i).data<float>());
    }
    return l;
}

void gradient_pointers(MlpEnergy& grad, std::vector<float*>& dweights, std::vector<float*>& dbiases) {
    for (int l = 0; l < grad.num_layers(); ++l) {
        dweights.push_back(grad.weight(l).data<float>());
        dbiases.push_back(grad.bias(l).data<float>());
    }
}

namespace {

// Whether the fused kernels take this call: only when the context asks for them (Auto
// takes the unfused path, measured faster; context.hpp), and an Error when the model
// does not fit (raised before anything is launched).
bool fused(const char* op, Context& ctx, const kernels::MlpLayers& layers, std::int64_t rows) {
    if (ctx.mlp_path() != MlpPath::Fused) return false;
    const bool fits = static_cast<bool>(kernels::FusedMlpEnergy::can_implement({layers, nullptr, rows}));
    if (!fits) {
        fail(std::string(op) + ": the context asks for the fused MLP path, but the model does not fit "
             "in a block's shared memory (or has more than 8 layers)");
    }
    return fits;
}

// The unfused forward pass; returns the workspace's scratch pointers.
kernels::MlpScratch forward_cuda(Context& ctx, const kernels::MlpLayers& layers, ConstTensorView x) {
    const std::int64_t rows = x.dim(0);
    const kernels::MlpForward::Arguments a{ctx.cublas(), layers, x.data<float>(), rows};
    void* workspace = ctx.workspace(kernels::MlpForward::workspace_bytes(a));
    kernels::MlpForward::run(a, workspace, ctx.stream());
    return kernels::mlp_scratch(layers, rows, workspace);
}

class CudaMlp final : public MlpOps {
public:
    bool uses_fused(Context& ctx, const MlpEnergy& model, std::int64_t rows) const override {
        return ctx.mlp_path() == MlpPath::Fused &&
               static_cast<bool>(kernels::FusedMlpEnergy::can_implement({mlp_layers(ctx, model), nullptr, rows}));
    }
    void logits(const char* op, Context& ctx, const MlpEnergy& model, ConstTensorView x, float* logits) const override {
        const NvtxRange range("ebmkit.mlp.logits");
        const kernels::MlpLayers layers = mlp_layers(ctx, model);
        if (fused(op, ctx, layers, x.dim(0))) {
            return kernels::FusedMlpEnergy::run({layers, x.data<float>(), x.dim(0), nullptr, logits, nullptr, nullptr,
                                                 ctx.tile_plan()},
                                                nullptr, ctx.stream());
        }
        const kernels::MlpScratch s = forward_cuda(ctx, layers, x);
        device_copy_async(logits, s.logits, sizeof(float) * static_cast<std::size_t>(x.dim(0) * model.num_outputs()),
                          false, ctx.stream());
    }
    void energy(const char* op, Context& ctx, const MlpEnergy& model, ConstTensorView x, const std::int32_t* labels,
                float* energy, float* grad) const override {
        const NvtxRange range("ebmkit.mlp.energy");
        mlp_energy_cuda(op, ctx, model, x, labels, energy, grad);
    }
    void param_grad(const char* op, Context& ctx, const MlpEnergy& model, ConstTensorView x, const float* dlogits,
                    MlpEnergy& grad, bool accumulate) const override {
        const NvtxRange range("ebmkit.mlp.param_grad");
        const kernels::MlpLayers layers = mlp_layers(ctx, model);
        std::vector<float*> dw, db;
        gradient_pointers(grad, dw, db);
        if (fused(op, ctx, layers, x.dim(0))) {
            const kernels::FusedMlpParamGrad::Arguments a{ctx.cublas(), layers,     x.data<float>(), x.dim(0),
                                                          dlogits,      dw,         db,              accumulate,
                                                          ctx.tile_plan()};
            return kernels::FusedMlpParamGrad::run(a, ctx.workspace(kernels::FusedMlpParamGrad::workspace_bytes(a)),
                                                   ctx.stream());
        }
        forward_cuda(ctx, layers, x);
        kernels::MlpBackward::run({ctx.cublas(), layers, x.data<float>(), x.dim(0), dlogits, nullptr, dw, db, accumulate},
                                  ctx.workspace(0), ctx.stream());
    }
};

}  // namespace

void mlp_energy_cuda(const char* op, Context& ctx, const MlpEnergy& model, ConstTensorView x,
                     const std::int32_t* labels, float* energy, float* grad) {
    const kernels::MlpLayers layers = mlp_layers(ctx, model);
    if (fused(op, ctx, layers, x.dim(0))) {
        return kernels::FusedMlpEnergy::run(
            {layers, x.data<float>(), x.dim(0), labels, nullptr, energy, grad, ctx.tile_plan()}, nullptr, ctx.stream());
    }
    const kernels::MlpScratch s = forward_cuda(ctx, layers, x);
    kernels::energy_head(s.logits, labels, x.dim(0), model.num_outputs(), s.lse, s.dlogits, energy, ctx.stream());
    if (grad) {
        kernels::MlpBackward::run({ctx.cublas(), layers, x.data<float>(), x.dim(0), s.dlogits, grad, {}, {}, false}, ctx.workspace(0),
                                  ctx.stream());
    }
}

void jem_param_grad_cuda(const char* op, Context& ctx, const MlpEnergy& model, ConstTensorView x,
                         const std::int32_t* labels, const kernels::JemHeadWeights& w, kernels::JemRowTerms* terms,
                         MlpEnergy& grad, bool accumulate) {
    const kernels::MlpLayers layers = mlp_layers(ctx, model);
    const std::int64_t rows = x.dim(0);
    std::vector<float*> dw, db;
    gradient_pointers(grad, dw, db);
    if (fused(op, ctx, layers, rows)) {
        const kernels::FusedJemGrad::Arguments a{ctx.cublas(), layers, x.data<float>(), rows, labels, w, terms, dw, db,
                                                 accumulate, ctx.tile_plan()};
        return kernels::FusedJemGrad::run(a, ctx.workspace(kernels::FusedJemGrad::workspace_bytes(a)), ctx.stream());
    }
    const kernels::MlpScratch s = forward_cuda(ctx, layers, x);
    kernels::jem_head(s.logits, labels, rows, model.num_outputs(), w, s.dlogits, terms, ctx.stream());
    kernels::MlpBackward::run({ctx.cublas(), layers, x.data<float>(), rows, s.dlogits, nullptr, dw, db, accumulate},
                              ctx.workspace(0), ctx.stream());
}

const MlpOps& cuda_mlp_ops() {
    static const CudaMlp ops;
    return ops;
}

}  // namespace ebmkit::detail
