// The score family's operations (host/ops/ops.hpp): the draws of score matching's
// training (noise levels, noise, projections), its losses with their parameter gradients
// (ebmkit/score.hpp states the math) and Tweedie's step. The draws' rule:
// kernels/score_rule.hpp.
#pragma once

#include <cstdint>

#include "ebmkit/context.hpp"
#include "ebmkit/mlp.hpp"
#include "ebmkit/score.hpp"

namespace ebmkit::detail {

// Which rows of which step a draw is: row r is chain first_row + r of step `step`.
struct ScoreDrawKey {
    std::uint32_t step = 0;
    std::uint32_t first_row = 0;
};

class ScoreOps {
public:
    virtual ~ScoreOps() = default;
    // sigma [rows] = sigmas[level_r], level_r uniform over the `levels` levels of sigmas
    // (on ctx's device), keyed (ctx.seed(), ScoreLevel, chain, step); noise [rows, d] ~ N(0, I)
    // keyed (ctx.seed(), ScoreNoise, chain, step, i / 4).
    virtual void draw_perturbation(Context& ctx, const float* sigmas, int levels, std::int64_t rows, std::int64_t d,
                                   ScoreDrawKey key, float* sigma, float* noise) const = 0;
    // v [rows, d]: Rademacher signs or standard normals keyed (ctx.seed(), ScoreProjection,
    // chain, step, i / 4).
    virtual void draw_projections(Context& ctx, Projection kind, std::int64_t rows, std::int64_t d, ScoreDrawKey key,
                                  float* v) const = 0;
    // *loss (on ctx's device) = scale * the sum over the rows of the row losses; grad
    // (nullable) = its parameter gradient.
    virtual void denoising(const char* op, Context& ctx, const MlpEnergy& model, ConstTensorView x, const float* noise,
                           const float* sigma, const DenoisingScoreOptions& o, double scale, float* loss,
                           MlpEnergy* grad) const = 0;
    virtual void sliced(const char* op, Context& ctx, const MlpEnergy& model, ConstTensorView x, const float* v,
                        bool variance_reduced, double scale, float* loss, MlpEnergy* grad) const = 0;
    // x <- x - k grad_x E(x) on every row.
    virtual void tweedie(const char* op, Context& ctx, const MlpEnergy& model, TensorView x, float k) const = 0;
};

}  // namespace ebmkit::detail
