/// @file
/// Bernoulli RBM (docs/ARCHITECTURE.md §1): E(v, h) = -v^T W h - b^T v - c^T h, W: [D, M].
///   p(h_j = 1 | v) = sigm(c_j + v^T W_:j),   p(v_i = 1 | h) = sigm(b_i + W_i: h)
///   F(v) = -b^T v - sum_j softplus(c_j + v^T W_:j),   log p(v) = -F(v) - log Z
/// Sampling a unit: 1 when u <= p, u the Philox uniform in (0, 1] for
/// (ctx.seed(), GibbsHidden / GibbsVisible, chain = row, step, element = unit).
#pragma once

#include <cstdint>
#include <vector>

#include "ebmkit/context.hpp"
#include "ebmkit/steps.hpp"
#include "ebmkit/tensor.hpp"

namespace ebmkit {

/// Parameter holder; also the type of a gradient (same shapes).
class Rbm {
public:
    Rbm(std::int64_t visible, std::int64_t hidden, Device device = Device::Host);  ///< zeros
    /// W ~ N(0, scale^2) from Philox (purpose ParamInit), b = c = 0.
    void init_normal(std::uint64_t seed, float scale = 0.01f);
    /// Same shape and device, zero parameters (e.g. for gradients).
    Rbm zeros_like() const;
    /// A copy on device.
    Rbm to(Device device) const;

    /// @{
    /// The visible units D, the hidden units M, and the parameters' device.
    std::int64_t visible() const { return visible_; }
    std::int64_t hidden() const { return hidden_; }
    Device device() const { return flat_.device(); }
    /// @}
    /// @{
    /// Views of the parameters W [D, M], b [D] and c [M]: their values can change, their
    /// shapes and device cannot.
    TensorView w();
    ConstTensorView w() const;
    TensorView b();
    ConstTensorView b() const;
    TensorView c();
    ConstTensorView c() const;
    /// @}
    /// @{
    /// W, b, c, as optimizers take them.
    std::vector<TensorView> parameters() { return {w(), b(), c()}; }
    std::vector<ConstTensorView> parameters() const { return {w(), b(), c()}; }
    /// @}
    /// @{
    /// The one buffer that holds W, b, c in that order, each starting at a multiple of 64
    /// floats, the gaps zero (as MlpEnergy::flat).
    TensorView flat() { return flat_; }
    ConstTensorView flat() const { return flat_; }
    /// @}

private:
    std::int64_t visible_, hidden_;
    Tensor flat_;
    std::vector<std::int64_t> offsets_;  ///< of W, b, c in flat_
};

/// p(h = 1 | v) for v: [N, D] into ph: [N, M].
void rbm_hidden_probs(Context& ctx, const Rbm& rbm, ConstTensorView v, TensorView ph);
/// p(v = 1 | h) for h: [N, M] into pv: [N, D].
void rbm_visible_probs(Context& ctx, const Rbm& rbm, ConstTensorView h, TensorView pv);

/// One block-Gibbs sweep per row: h ~ p(h | v), then v ~ p(v | h). v: [N, D] in/out,
/// h: [N, M] receives the hidden sample. step keys both half-sweeps.
void gibbs_step(Context& ctx, const Rbm& rbm, TensorView v, TensorView h, std::uint32_t step);

/// steps.count sweeps (keyed steps.first, steps.first + 1, ...), the same draws as that
/// many calls of gibbs_step. On CUDA one launch keeps each block's chains on chip for all of them
/// where v and h of 16 chains fit in a block's shared memory (D + M up to about 3,400
/// units); the products run at the context's precision (Fp32 exact; Tf32 / Bf16 round
/// the weights, the 0/1 states are exact).
void gibbs_chain(Context& ctx, const Rbm& rbm, TensorView v, TensorView h, Steps steps);
/// Evidence about the visible units for gibbs_chain (each part optional, empty for none):
///   clamp [N, D]: where nonzero the unit keeps the value it has in v (inpainting's
///                 observed pixels; its draw is made and discarded, so the other units'
///                 keys are the unconditioned chain's): the chains sample p(v_free | v_clamped);
///   field [N, D]: added to each visible unit's input, p(v_i = 1 | h) = sigm(b_i + W_i: h +
///                 field_ri): the log-likelihood ratio of a noisy observation (denoising:
///                 bits flipped at rate r give field = (2 v~ - 1) log((1 - r) / r)), so the
///                 chains sample the posterior p(v | v~).
struct VisibleEvidence {
    ConstTensorView clamp;  ///< [N, D] float32: nonzero where the unit is observed and kept
    ConstTensorView field;  ///< [N, D] float32: added to each visible unit's input
};
/// The chains of gibbs_chain conditioned on evidence about the visible units (VisibleEvidence).
void gibbs_chain(Context& ctx, const Rbm& rbm, TensorView v, TensorView h, Steps steps, const VisibleEvidence& evidence);

/// F(v) per row: [N].
void free_energy(Context& ctx, const Rbm& rbm, ConstTensorView v, TensorView f);

/// One rank's part of a data-parallel gradient (RbmTrainer with a Communicator): row r of
/// the chains is chain first_chain + r of the global set (its draws keyed so), and the
/// statistics are divided by the global batch's row counts, so that the ranks' parts sum
/// to the global batch's gradient. The default is the whole batch on one rank.
struct RbmShard {
    std::uint32_t first_chain = 0;  ///< the global index of this call's chain 0
    std::int64_t data_rows = 0;    ///< rows of data over all ranks; 0: this call's
    std::int64_t sample_rows = 0;  ///< rows of chains or samples over all ranks; 0: this call's
};

/// Log-likelihood gradient estimate (ascent direction), written into grad:
///   dW = E_data[v p(h|v)^T] - E_model[v p(h|v)^T], db = E_data[v] - E_model[v],
///   dc = E_data[p(h|v)] - E_model[p(h|v)]   (means over rows).
/// chains: [S, D], advanced steps.count sweeps (keyed steps.first ...) in place, then used
/// as the model sample. CD-k: set chains to the data first; PCD: keep them across calls.
void cd_gradient(Context& ctx, const Rbm& rbm, ConstTensorView data, TensorView chains, Rbm& grad, Steps steps,
                 const RbmShard& shard = {});
/// The same ascent direction with given model samples [S, D] (parallel tempering's
/// beta = 1 replicas, say) in place of the chains: no sweeps.
void rbm_gradient(Context& ctx, const Rbm& rbm, ConstTensorView data, ConstTensorView samples, Rbm& grad,
                  const RbmShard& shard = {});

/// Exact log Z by enumerating the smaller layer (at most 25 units): in double on the
/// CPU; on CUDA the configurations' log-terms in FP32, reduced by the LogSumExp kernel.
double log_partition_exact(Context& ctx, const Rbm& rbm);

/// Annealed importance sampling (Salakhutdinov & Murray 2008) from the base-rate
/// model p_A(v) = prod_i sigm(b_A,i)^v_i (1 - sigm(b_A,i))^(1 - v_i) (W = 0, c = 0) to
/// the RBM, through p*_k(v) = exp((1 - beta_k) b_A^T v + beta_k b^T v)
/// prod_j (1 + exp(beta_k (c_j + v^T W_:j))), with one Gibbs sweep of p_k per step.
struct AisOptions {
    std::int64_t runs = 100;     ///< independent annealing runs (chains); RAISE: runs per row
    std::vector<double> betas;   ///< increasing from 0 to 1; empty: standard_ais_schedule()
};
/// 0:1e-3:0.5, 0.5:1e-4:0.9, 0.9:1e-5:1 (14,500 intermediate distributions).
std::vector<double> standard_ais_schedule();
/// A schedule of `steps` evenly spaced betas from 0 to 1 (steps >= 1), for quick runs.
std::vector<double> linear_ais_schedule(std::int64_t steps);

/// AIS's estimate of log Z with its +-3 standard error band and every run's weight.
struct AisResult {
    double log_z;                  ///< log of the mean importance weight, plus log Z_A
    double log_z_low;              ///< log(mean w - 3 std(w) / sqrt(runs)) + log Z_A (-inf when <= 0)
    double log_z_high;             ///< log(mean w + 3 std(w) / sqrt(runs)) + log Z_A
    double log_z_base;             ///< log Z_A
    std::vector<double> log_weights;  ///< [runs] each run's log importance weight
};
/// AIS from the base-rate model with visible biases base_visible_bias [D] (typically the
/// training data's logit means) to rbm, options.runs runs on options.betas.
AisResult log_partition_ais(Context& ctx, const Rbm& rbm, ConstTensorView base_visible_bias, const AisOptions& options);

/// RAISE's estimate of log p(v) for each row, and their mean with its standard error.
struct RaiseResult {
    std::vector<double> log_likelihoods;  ///< [N]: log of the mean weight of each row's runs
    double mean;       ///< mean over the rows
    double std_error;  ///< standard error of that mean over the rows (0 when N = 1)
};
/// Reverse AIS (RAISE; Burda, Grosse & Salakhutdinov 2015): a conservative estimate of
/// log p(v) for each row of v [N, D], the counterpart of AIS's optimistic one. AIS's path
/// run backwards from the data: v_K = v, then for k = K .. 1 a Gibbs sweep of p_k gives
/// v_{k-1} (the same sweep as AIS's; it is reversible with respect to p_k), and
///   w = p_A(v_0) prod_{k=1..K} p*_k(v_k) / p*_k(v_{k-1})
///     = exp(-F(v) - log Z_A - sum_{k=1..K} [log p*_k(v_{k-1}) - log p*_{k-1}(v_{k-1})]).
/// E[w] = p_ann(v), the probability of v under the annealing model (AIS's forward chain
/// from p_A ending in one sweep of the RBM), which approaches p(v) as the betas get
/// dense; so log of the mean of w is a stochastic lower bound of log p_ann(v). Each row
/// runs options.runs reverse chains, keyed (seed, RaiseHidden / RaiseVisible,
/// chain n * runs + r, step k, unit).
RaiseResult log_likelihood_raise(Context& ctx, const Rbm& rbm, ConstTensorView base_visible_bias, ConstTensorView v,
                                 const AisOptions& options);

/// b_A = log(p / (1 - p)), p the per-pixel mean of binary data [N, D] smoothed
/// towards 1/2 by `smoothing` pseudo-counts (host tensor in, host tensor out).
Tensor base_rate_bias(const Tensor& data, float smoothing = 1.0f);

/// Pseudo-log-likelihood of each row, sum_i log p(v_i | v_-i), over all D bits
/// (deterministic, unlike scikit-learn's one random bit times D). out: [N].
void pseudo_log_likelihood(Context& ctx, const Rbm& rbm, ConstTensorView v, TensorView out);

}  // namespace ebmkit
