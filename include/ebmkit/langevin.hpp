/// @file
/// Langevin dynamics on an MLP energy (docs/ARCHITECTURE.md §1):
///   x' = x - alpha * g(x) + sigma * eps,  eps ~ N(0, I),  g = grad_x E (optionally clipped)
/// then either x <- clamp(x') (unadjusted Langevin, SGLD as JEM uses it), or, with
/// MALA, x <- x' with probability
///   min(1, exp((E(x) - E(x')) / T) q(x | x') / q(x' | x)),  log q(b | a) = -|b - a + alpha g(a)|^2 / (2 sigma^2),
/// T = sigma^2 / (2 alpha), which leaves exp(-E / T) exactly invariant (restricted to the
/// clamp box when clamping: a proposal outside the box is rejected).
/// eps[r, i] is Philox's normal for (ctx.seed(), LangevinNoise, chain first_chain + r, step, i);
/// MALA's uniform is (ctx.seed(), MalaAccept, chain, step, 0). So a batch split into
/// parts with matching first_chain gives the same samples as the whole.
/// sigma = sqrt(2 alpha T) samples exp(-E / T); JEM uses alpha = 1, sigma = 0.01.
#pragma once

#include <cstdint>
#include <vector>

#include "ebmkit/context.hpp"
#include "ebmkit/mlp.hpp"
#include "ebmkit/steps.hpp"
#include "ebmkit/tensor.hpp"

namespace ebmkit {

/// One Langevin step x' = x - alpha grad_x E(x) + sigma eps (optionally clamped, clipped
/// or Metropolis-adjusted), the settings of langevin_chain and of LangevinSampler.
struct LangevinParams {
    float alpha = 1.0f;   ///< step size on the gradient, > 0
    float sigma = 0.01f;  ///< noise scale, >= 0 (> 0 with MALA)
    bool clamp = false;   ///< keep every coordinate in [lo, hi]
    float lo = -1.0f;     ///< the clamp box's lower bound
    float hi = 1.0f;      ///< and its upper bound
    bool mala = false;         ///< Metropolis-adjusted: accept or reject every proposal
    float grad_clip = 0.0f;    ///< > 0: scale each chain's gradient to at most this L2 norm
    std::uint32_t first_chain = 0;  ///< chain index of row 0

    /// sigma = sqrt(2 alpha temperature): Langevin dynamics for exp(-E / temperature).
    static LangevinParams with_temperature(float alpha, float temperature);
};

/// What a chain call reports: the proposals and acceptances, and per step when traced.
struct LangevinStats {
    std::int64_t proposals = 0;  ///< chain-steps taken
    std::int64_t accepted = 0;   ///< of them accepted (all of them without MALA)
    std::vector<double> mean_energy;  ///< per step, after it (when traced)
    std::vector<double> acceptance;   ///< per step (when traced)
    /// accepted / proposals (1 before any proposal).
    double acceptance_rate() const { return proposals ? static_cast<double>(accepted) / proposals : 1.0; }
};

/// True when langevin_chain on this context runs all its steps in one launch of the
/// fused chain kernel (kernels/langevin_chain.cu): a CUDA context whose mlp_path() is
/// Fused (Auto takes the step-by-step path, measured faster; context.hpp), no MALA, no gradient clipping, a model of at most 8 layers, and x and
/// the activations of 16 chains within a block's shared memory (227 KB on sm_90: input
/// plus hidden widths plus K summing to about 3,400 or less). Otherwise every step is
/// a launch of the energy-gradient and update kernels; both give the same chains.
bool uses_fused_chain(Context& ctx, const MlpEnergy& model, std::int64_t chains, const LangevinParams& params);

/// One step on every row (chain) of x: [N, D], in place. step keys the noise.
LangevinStats langevin_step(Context& ctx, const MlpEnergy& model, TensorView x, const LangevinParams& params,
                            std::uint32_t step);

/// steps.count steps of every row of x [N, D] in place, keyed steps.first, steps.first + 1,
/// ...; trace records the per-step mean energy and acceptance.
LangevinStats langevin_chain(Context& ctx, const MlpEnergy& model, TensorView x, const LangevinParams& params,
                             Steps steps, bool trace = false);
/// Class-conditional chains on E(x, y) = -f(x)[y]: row r samples exp(-E(x, labels[r])).
LangevinStats langevin_chain(Context& ctx, const MlpEnergy& model, ConstTensorView labels, TensorView x,
                             const LangevinParams& params, Steps steps, bool trace = false);
/// Clamped chains (inpainting): where clamp [N, D] is nonzero a coordinate keeps the value
/// it has in x, the others take the chains' steps (labels may be empty: E(x)); the draws
/// are keyed as the unclamped chain's. Unadjusted only (no MALA): a step at a time, the
/// clamped coordinates put back after each.
LangevinStats langevin_chain(Context& ctx, const MlpEnergy& model, ConstTensorView labels, TensorView x,
                             const LangevinParams& params, Steps steps, ConstTensorView clamp);

}  // namespace ebmkit
