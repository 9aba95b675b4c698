// Score matching's public functions (ebmkit/score.hpp): check, then forward to the
// context's ScoreOps; annealed Langevin composes langevin_chain's levels.
#include "ebmkit/score.hpp"

#include <cmath>
#include <cstdio>
#include <string>

#include "check.hpp"
#include "ops/ops.hpp"

namespace ebmkit {

namespace {

std::string number(double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", v);
    return text;
}

void check_grad(const char* op, const Context& ctx, const MlpEnergy& model, const MlpEnergy& grad) {
    detail::check_model(op, ctx, grad);
    if (grad.widths() != model.widths()) detail::fail(std::string(op) + ": grad must have the model's widths");
}

// x [N, D] with noise [N, D] and sigma [N] > 0 beside it.
void check_denoising(const char* op, Context& ctx, const MlpEnergy& model, ConstTensorView x, ConstTensorView noise,
                     ConstTensorView sigma) {
    detail::check_input(op, ctx, model, x);
    detail::check_tensor(op, "noise", noise, {x.dim(0), x.dim(1)}, DType::F32, ctx.device());
    detail::check_tensor(op, "sigma", sigma, {x.dim(0)}, DType::F32, ctx.device());
    const Tensor levels = Tensor::copy_of(sigma, Device::Host);
    for (std::int64_t r = 0; r < x.dim(0); ++r) {
        const float s = levels.data<float>()[r];
        if (!(s > 0.0f) || !std::isfinite(s)) {
            detail::fail(std::string(op) + ": sigma[" + std::to_string(r) + "] = " + number(s) +
                         " must be a positive noise level");
        }
    }
}

void check_sliced(const char* op, Context& ctx, const MlpEnergy& model, ConstTensorView x, ConstTensorView v) {
    detail::check_input(op, ctx, model, x);
    detail::check_tensor(op, "projections", v, {x.dim(0), x.dim(1)}, DType::F32, ctx.device());
}

double denoising(const char* op, Context& ctx, const MlpEnergy& model, ConstTensorView x, ConstTensorView noise,
                 ConstTensorView sigma, const DenoisingScoreOptions& o, MlpEnergy* grad) {
    check_denoising(op, ctx, model, x, noise, sigma);
    if (grad) check_grad(op, ctx, model, *grad);
    Tensor loss({1}, DType::F32, ctx.device());
    detail::ops(ctx).score.denoising(op, ctx, model, x, noise.data<float>(), sigma.data<float>(), o,
                                     1.0 / static_cast<double>(x.dim(0)), loss.data<float>(), grad);
    return loss.to_vector<float>()[0];
}

double sliced(const char* op, Context& ctx, const MlpEnergy& model, ConstTensorView x, ConstTensorView v,
              bool variance_reduced, MlpEnergy* grad) {
    check_sliced(op, ctx, model, x, v);
    if (grad) check_grad(op, ctx, model, *grad);
    Tensor loss({1}, DType::F32, ctx.device());
    detail::ops(ctx).score.sliced(op, ctx, model, x, v.data<float>(), variance_reduced,
                                  1.0 / static_cast<double>(x.dim(0)), loss.data<float>(), grad);
    return loss.to_vector<float>()[0];
}

void check_ladder(const char* op, const std::vector<float>& sigmas) {
    if (sigmas.empty()) detail::fail(std::string(op) + ": the noise ladder (sigmas) is empty");
    for (std::size_t i = 0; i < sigmas.size(); ++i) {
        if (!(sigmas[i] > 0.0f) || !std::isfinite(sigmas[i])) {
            detail::fail(std::string(op) + ": sigmas[" + std::to_string(i) + "] = " + number(sigmas[i]) +
                         " must be a positive noise level");
        }
        if (i > 0 && !(sigmas[i] < sigmas[i - 1])) {
            detail::fail(std::string(op) + ": sigmas must decrease strictly, but sigmas[" + std::to_string(i) +
                         "] = " + number(sigmas[i]) + " follows " + number(sigmas[i - 1]));
        }
    }
}

// c in s(x, sigma) = s(x) / c.
float conditioning_scale(NoiseConditioning c, float sigma) {
    return c == NoiseConditioning::ScaledByNoise ? sigma : 1.0f;
}

}  // namespace

namespace detail {
void check_noise_ladder(const char* op, const std::vector<float>& sigmas) { check_ladder(op, sigmas); }
}  // namespace detail

std::vector<float> geometric_ladder(float first, float last, int levels) {
    constexpr const char* op = "geometric_ladder";
    if (levels < 1) detail::fail(std::string(op) + ": levels must be >= 1, got " + std::to_string(levels));
    detail::check_positive(op, "first", first);
    detail::check_positive(op, "last", last);
    if (levels == 1 ? last != first : !(last < first)) {
        detail::fail(std::string(op) + ": last (" + number(last) + ") must be " +
                     (levels == 1 ? "first with one level" : "smaller than first") + " (" + number(first) + ")");
    }
    std::vector<float> sigmas(static_cast<std::size_t>(levels), first);
    const double ratio = levels == 1 ? 1.0 : std::log(static_cast<double>(last) / first) / (levels - 1);
    for (int i = 1; i < levels; ++i) sigmas[i] = static_cast<float>(first * std::exp(ratio * i));
    sigmas.back() = last;
    check_ladder(op, sigmas);  // float rounding of a ladder too fine to decrease
    return sigmas;
}

double denoising_score_gradient(Context& ctx, const MlpEnergy& model, ConstTensorView x, ConstTensorView noise,
                                ConstTensorView sigma, const DenoisingScoreOptions& options, MlpEnergy& grad) {
    return denoising("denoising_score_gradient", ctx, model, x, noise, sigma, options, &grad);
}

double denoising_score_loss(Context& ctx, const MlpEnergy& model, ConstTensorView x, ConstTensorView noise,
                            ConstTensorView sigma, const DenoisingScoreOptions& options) {
    return denoising("denoising_score_loss", ctx, model, x, noise, sigma, options, nullptr);
}

double sliced_score_gradient(Context& ctx, const MlpEnergy& model, ConstTensorView x, ConstTensorView projections,
                             bool variance_reduced, MlpEnergy& grad) {
    return sliced("sliced_score_gradient", ctx, model, x, projections, variance_reduced, &grad);
}

double sliced_score_loss(Context& ctx, const MlpEnergy& model, ConstTensorView x, ConstTensorView projections,
                         bool variance_reduced) {
    return sliced("sliced_score_loss", ctx, model, x, projections, variance_reduced, nullptr);
}

void annealed_langevin(Context& ctx, const MlpEnergy& model, TensorView x, const AnnealedLangevinParams& params,
                       std::uint32_t first_step) {
    constexpr const char* op = "annealed_langevin";
    detail::check_input(op, ctx, model, x);
    check_ladder(op, params.sigmas);
    detail::check_positive(op, "params.epsilon", params.epsilon);
    if (params.steps_per_level < 1) detail::fail(std::string(op) + ": params.steps_per_level must be >= 1, got 0");
    // Level i: a_i = epsilon sigma_i^2 / sigma_L^2, x + a_i / 2 s(x) / c_i + sqrt(a_i) z, i.e.
    // alpha = a_i / (2 c_i), sigma = sqrt(a_i); Tweedie's step a deterministic one more,
    // x - (sigma_L^2 / c_L) grad_x E: one schedule (on CUDA's fused path one launch).
    const double last = params.sigmas.back();
    std::vector<kernels::ChainSegment> segments;
    for (const float level : params.sigmas) {
        const double a = params.epsilon * (level / last) * (level / last);
        segments.push_back({static_cast<float>(a / (2.0 * conditioning_scale(params.conditioning, level))),
                            static_cast<float>(std::sqrt(a)), params.steps_per_level});
    }
    if (params.denoise) {
        segments.push_back({static_cast<float>(last * last / conditioning_scale(params.conditioning, params.sigmas.back())),
                            0.0f, 1});
    }
    detail::ops(ctx).langevin.scheduled_chain(ctx, model, x, segments, first_step, params.first_chain);
}

void tweedie_denoise(Context& ctx, const MlpEnergy& model, TensorView x, float sigma, NoiseConditioning conditioning) {
    constexpr const char* op = "tweedie_denoise";
    detail::check_input(op, ctx, model, x);
    detail::check_positive(op, "sigma", sigma);
    // x + sigma^2 s(x) / c = x - (sigma^2 / c) grad_x E.
    detail::ops(ctx).score.tweedie(op, ctx, model, x, sigma * sigma / conditioning_scale(conditioning, sigma));
}

}  // namespace ebmkit
