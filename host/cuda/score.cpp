// The score family on CUDA (host/ops/score.hpp): the draws and Tweedie's step
// (kernels/score.cu), denoising score matching by the fused second-order kernel
// (kernels/score_fused.cu) or, for models it cannot hold and where the context asks
// for the unfused path, by cuBLAS and elementwise kernels (kernels/score_unfused.cu);
// sliced score matching by order-2 Taylor passes, fused or through cuBLAS likewise
// (kernels/score_sliced.cu).
#include <string>
#include <vector>

#include "families.hpp"
#include "host/check.hpp"
#include "kernels/score.hpp"
#include "mlp_layers.hpp"
#include "nvtx.hpp"

namespace ebmkit::detail {

namespace {

// A context that asks for the fused path by name gets it or an Error naming the
// fallback, as the MLP family does (host/cuda/mlp.cpp); Auto takes the fused kernel
// where the model fits it.
void check_fused(const char* op, const Context& ctx, bool fits, const char* kernel) {
    if (ctx.mlp_path() == MlpPath::Fused && !fits) {
        fail(std::string(op) + ": the context asks for the fused path, but the model does not fit " + kernel +
             " (at most 8 layers, 16 rows of its buffers within a block's shared memory); MlpPath::Auto or "
             "MlpPath::Unfused takes the cuBLAS path");
    }
}

class CudaScore final : public ScoreOps {
public:
    void draw_perturbation(Context& ctx, const float* sigmas, int levels, std::int64_t rows, std::int64_t d,
                           ScoreDrawKey key, float* sigma, float* noise) const override {
        const NvtxRange range("ebmkit.score.draw_perturbation");
        kernels::score_perturbation(ctx.seed(), sigmas, levels, rows, d, key.step, key.first_row, sigma, noise,
                                    ctx.stream());
    }
    void draw_projections(Context& ctx, Projection kind, std::int64_t rows, std::int64_t d, ScoreDrawKey key,
                          float* v) const override {
        const NvtxRange range("ebmkit.score.draw_projections");
        kernels::score_projections(ctx.seed(), kind == Projection::Gaussian, rows, d, key.step, key.first_row, v,
                                   ctx.stream());
    }
    void denoising(const char* op, Context& ctx, const MlpEnergy& model, ConstTensorView x, const float* noise,
                   const float* sigma, const DenoisingScoreOptions& o, double scale, float* loss,
                   MlpEnergy* grad) const override {
        const NvtxRange range("ebmkit.score.denoising");
        kernels::FusedDenoisingScore::Arguments a;
        a.cublas = ctx.cublas();
        a.mlp = mlp_layers(ctx, model);
        a.x = x.data<float>();
        a.noise = noise;
        a.sigma = sigma;
        a.rows = x.dim(0);
        a.scaled_by_noise = o.conditioning == NoiseConditioning::ScaledByNoise;
        a.sigma_squared_weight = o.sigma_squared_weight;
        a.scale = static_cast<float>(scale);
        a.loss = loss;
        if (grad) gradient_pointers(*grad, a.dweights, a.dbiases);
        // The fused kernel where the model fits it and the context does not ask for the
        // unfused path; else cuBLAS and elementwise kernels.
        const bool fits = static_cast<bool>(kernels::FusedDenoisingScore::can_implement(a));
        check_fused(op, ctx, fits, "the second-order kernel");
        if (ctx.mlp_path() != MlpPath::Unfused && fits) {
            return kernels::FusedDenoisingScore::run(a, ctx.workspace(kernels::FusedDenoisingScore::workspace_bytes(a)),
                                                     ctx.stream());
        }
        kernels::UnfusedDenoisingScore::run(a, ctx.workspace(kernels::UnfusedDenoisingScore::workspace_bytes(a)),
                                            ctx.stream());
    }
    void sliced(const char* op, Context& ctx, const MlpEnergy& model, ConstTensorView x, const float* v,
                bool variance_reduced, double scale, float* loss, MlpEnergy* grad) const override {
        const NvtxRange range("ebmkit.score.sliced");
        kernels::SlicedScore::Arguments a;
        a.cublas = ctx.cublas();
        a.fused = ctx.mlp_path() != MlpPath::Unfused;
        a.mlp = mlp_layers(ctx, model);
        a.x = x.data<float>();
        a.v = v;
        a.rows = x.dim(0);
        a.variance_reduced = variance_reduced;
        a.scale = static_cast<float>(scale);
        a.loss = loss;
        if (grad) gradient_pointers(*grad, a.dweights, a.dbiases);
        check_fused(op, ctx, kernels::SlicedScore::fuses(a), "the fused sliced pass");
        kernels::SlicedScore::run(a, ctx.workspace(kernels::SlicedScore::workspace_bytes(a)), ctx.stream());
    }
    void tweedie(const char* op, Context& ctx, const MlpEnergy& model, TensorView x, float k) const override {
        const NvtxRange range("ebmkit.score.tweedie");
        // The gradient in a tensor of its own (the MLP passes use the context's workspace).
        Tensor g(x.shape(), DType::F32, ctx);
        mlp_energy_cuda(op, ctx, model, x, nullptr, nullptr, g.data<float>());
        kernels::scaled_subtract(x.data<float>(), g.data<float>(), x.numel(), k, ctx.stream());
    }
};

}  // namespace

const ScoreOps& cuda_score_ops() {
    static const CudaScore ops;
    return ops;
}

}  // namespace ebmkit::detail
