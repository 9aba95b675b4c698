/// @file
/// Score matching on the MLP energy (docs/ARCHITECTURE.md §1): the model's score is
/// s(x) = -grad_x E(x) (E = -LSE f(x), mlp.hpp), and its losses are means over the rows:
///
///   denoising (Vincent 2011), row r at its own noise level sigma_r with its normal draw
///   eps_r, x~ = x + sigma_r eps_r:
///       l_r = w_r / 2 |s(x~, sigma_r) + eps_r / sigma_r|^2
///   where s(x, sigma) = s(x) / sigma with NoiseConditioning::ScaledByNoise (NCSNv2's rule,
///   Song & Ermon 2020: one network for every level, its output divided by the level) or
///   s(x) with None, and w_r = sigma_r^2 (Song & Ermon 2019's weight for a ladder of
///   levels) or 1. The minimiser is the score of the data smoothed by N(0, sigma^2 I):
///   s(x~, sigma) = grad log p_sigma(x~) (for Gaussian data N(mu, S), -(x~ - mu) / (S + sigma^2 I)).
///
///   sliced (Song et al. 2019), row r with its projection v_r (Rademacher or Gaussian):
///       l_r = v^T grad_x s(x) v + 1/2 (v^T s(x))^2,  or, variance-reduced, + 1/2 |s(x)|^2
///   whose mean over v is Hyvarinen's tr(grad_x s) + 1/2 |s|^2 (E[v v^T] = I).
///
/// The parameter gradients are the losses' exact derivatives: a second-order quantity
/// (the gradient of a loss on grad_x E), which the CPU backend computes in double by
/// Taylor-mode passes (host/cpu/score.cpp). On CUDA the denoising loss runs in one fused
/// launch per row tile (forward, backward to x and its backward on chip) where the widths
/// fit, else in the unfused kernels; the sliced losses run the CPU twin's Taylor-mode
/// passes in float, each pass one fused launch per row tile where the widths fit, else
/// one cuBLAS call per product over the three coefficient blocks. The context's MlpPath
/// chooses: Auto the fused kernels where the model fits them, Unfused the cuBLAS path,
/// Fused the fused kernels or an Error naming the fallback.
///
/// Annealed Langevin sampling (Song & Ermon 2019, Algorithm 1): for each level i = 1 .. L
/// of a ladder sigma_1 > ... > sigma_L, T steps
///       x <- x + a_i / 2 s(x, sigma_i) + sqrt(a_i) z,   a_i = epsilon sigma_i^2 / sigma_L^2,
/// then optionally Tweedie's denoising step x <- x + sigma_L^2 s(x, sigma_L) (Efron 2011;
/// the posterior mean E[x | x~] for x~ = x + sigma_L z). In langevin.hpp's convention
/// (x' = x - alpha grad_x E + sigma z) level i is alpha = a_i / (2 c_i), sigma = sqrt(a_i)
/// with c_i = sigma_i (ScaledByNoise) or 1, its steps keyed first + i T ... as
/// langevin_chain keys them, and Tweedie's step a deterministic step after them (on a
/// CUDA context whose mlp_path() is Fused, every level and that step in one launch of
/// the fused chain kernel).
#pragma once

#include <cstdint>
#include <vector>

#include "ebmkit/context.hpp"
#include "ebmkit/mlp.hpp"
#include "ebmkit/tensor.hpp"

namespace ebmkit {

/// How the noise level enters the model's score.
enum class NoiseConditioning {
    None,           ///< s(x, sigma) = s(x)
    ScaledByNoise,  ///< s(x, sigma) = s(x) / sigma (NCSNv2)
};

/// Which loss ScoreTrainer minimises.
enum class ScoreLoss { Denoising, Sliced, SlicedVarianceReduced };

/// The sliced losses' projection distribution.
enum class Projection { Rademacher, Gaussian };

/// @{
/// The name as the ebm command spells it ("scaled_by_noise", "dsm", "rademacher", ...).
const char* to_string(NoiseConditioning conditioning);
const char* to_string(ScoreLoss loss);
const char* to_string(Projection projection);
/// @}

/// sigma_1 > ... > sigma_L, geometric from first to last (levels >= 1; one level: {first},
/// and then last must equal first). Error naming the argument otherwise.
std::vector<float> geometric_ladder(float first, float last, int levels);

/// The denoising loss's settings.
struct DenoisingScoreOptions {
    NoiseConditioning conditioning = NoiseConditioning::None;  ///< how sigma enters the score
    bool sigma_squared_weight = false;  ///< w = sigma^2 (a ladder's weighting), else 1
};

/// The denoising loss's mean over the rows of x [N, D], with noise [N, D] (eps) and sigma
/// [N] (> 0) per row, all on ctx's device; grad (the model's widths, on ctx's device)
/// receives its parameter gradient (overwritten). Returns the loss.
/// @{
double denoising_score_gradient(Context& ctx, const MlpEnergy& model, ConstTensorView x, ConstTensorView noise,
                                ConstTensorView sigma, const DenoisingScoreOptions& options, MlpEnergy& grad);
double denoising_score_loss(Context& ctx, const MlpEnergy& model, ConstTensorView x, ConstTensorView noise,
                            ConstTensorView sigma, const DenoisingScoreOptions& options);
/// @}

/// The sliced loss's mean over the rows of x [N, D], with a projection v [N, D] per row.
/// @{
double sliced_score_gradient(Context& ctx, const MlpEnergy& model, ConstTensorView x, ConstTensorView projections,
                             bool variance_reduced, MlpEnergy& grad);
double sliced_score_loss(Context& ctx, const MlpEnergy& model, ConstTensorView x, ConstTensorView projections,
                         bool variance_reduced);
/// @}

/// Annealed Langevin sampling's settings (Song & Ermon 2019, Algorithm 1).
struct AnnealedLangevinParams {
    std::vector<float> sigmas;       ///< the ladder, strictly decreasing, all > 0
    float epsilon = 2e-5f;           ///< the step at the last level, > 0
    std::uint32_t steps_per_level = 100;  ///< T >= 1
    bool denoise = true;             ///< the final Tweedie step
    NoiseConditioning conditioning = NoiseConditioning::ScaledByNoise;  ///< how the model was trained
    std::uint32_t first_chain = 0;   ///< chain index of row 0 (as LangevinParams::first_chain)
};

/// Every row of x [N, D] (on ctx's device) in place, its noise keyed first_step, first_step
/// + 1, ... (L T steps in all).
void annealed_langevin(Context& ctx, const MlpEnergy& model, TensorView x, const AnnealedLangevinParams& params,
                       std::uint32_t first_step = 0);

/// Tweedie's step x <- x + sigma^2 s(x, sigma) on every row of x [N, D], in place.
void tweedie_denoise(Context& ctx, const MlpEnergy& model, TensorView x, float sigma, NoiseConditioning conditioning);

}  // namespace ebmkit
