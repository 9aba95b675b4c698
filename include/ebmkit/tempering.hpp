/// @file
/// Parallel tempering for Bernoulli RBMs (Swendsen & Wang 1986; for RBMs Desjardins et
/// al. 2010): R replicas of each of S chains at inverse temperatures
/// 0 < beta_0 < ... < beta_{R-1} = 1, replica r sampling p_r(v, h) ~ exp(-beta_r E(v, h)).
/// A sweep is one block-Gibbs sweep of every replica,
///   h ~ sigm(beta_r (c + v W)),   v ~ sigm(beta_r (b + h W^T)),
/// then swap moves between neighbours (r, r + 1) for every r of the sweep's parity (even
/// pairs at even sweeps, odd at odd: the deterministic even-odd scheme, which moves
/// states up and down the ladder faster than random pair choice), each accepted with
/// probability min(1, exp(log_alpha)) on the visible marginals (h summed out):
///   log_alpha = F_r(v_r) + F_{r+1}(v_{r+1}) - F_r(v_{r+1}) - F_{r+1}(v_r),
///   F_r(v) = -beta_r b^T v - sum_j softplus(beta_r (c_j + v^T W_:j))   (in double).
/// An accepted swap exchanges the two replicas' v and h rows.
///
/// The states are one [R * S, D] tensor, replica-major: row r * S + c is replica r of
/// chain c, so the beta = 1 replicas are its last S rows. Draws are Philox keyed
/// (seed, TemperingHidden / TemperingVisible, chain word r * S + c, sweep, unit) for the
/// Gibbs sweeps and (seed, TemperingSwap, chain c, sweep, element r) for the swap of
/// pair (r, r + 1): one stream per (chain, replica, sweep, element), whatever the layout.
/// The CUDA backend runs all of run()'s sweeps in one launch where every replica of a
/// chain fits in a block's 16-row tile (R <= 16, D + M up to about 3,400):
/// each block keeps the replicas of its chains on chip, sweeping and swapping them; else
/// every replica of every chain in each launch, three per sweep (hidden half-sweep,
/// visible half-sweep, swaps). Both draw what the CPU draws; the free energies are
/// double sums on both, in different orders, so a swap decision could differ only for a
/// uniform within ~1e-15 of its acceptance probability.
#pragma once

#include <cstdint>
#include <vector>

#include "ebmkit/context.hpp"
#include "ebmkit/rbm.hpp"
#include "ebmkit/tensor.hpp"

namespace ebmkit {

/// beta_r = beta_min^((R - 1 - r) / (R - 1)): a geometric ladder from beta_min to 1
/// (replicas >= 2, 0 < beta_min < 1).
std::vector<float> geometric_betas(int replicas, float beta_min);

/// Parallel tempering of an RBM's Gibbs chains: R replicas of each of S chains on a ladder of betas, a block-Gibbs sweep of every replica then even-odd swap moves between neighbouring betas; the beta = 1 replicas are the samples.
class ParallelTempering {
public:
    /// S = chains chains of an RBM with `visible` and `hidden` units, one replica per
    /// beta (increasing, in (0, 1], the last 1). Every replica of chain c starts at the
    /// same random state: v_i = 1 with probability 1/2, keyed (seed, ChainInit, c, 0, i).
    ParallelTempering(Context& ctx, std::int64_t visible, std::int64_t hidden, std::int64_t chains,
                      std::vector<float> betas);

    /// `sweeps` sweeps on rbm (the shapes given at construction, on ctx's device),
    /// keyed sweeps() ... sweeps() + sweeps - 1.
    void run(const Rbm& rbm, std::uint32_t sweeps);
    /// Every replica of chain c restarts at start row c ([S, D], on ctx's device); the
    /// sweep count and swap statistics carry on.
    void reset(ConstTensorView start);

    /// @{
    /// The beta = 1 replicas [S, D] and their last hidden sample [S, M] (views).
    ConstTensorView samples() const;
    ConstTensorView hidden_samples() const;
    /// @}
    /// @{
    /// Every replica [R * S, D] (row r * S + c), and the same of h.
    const Tensor& states() const { return v_; }
    const Tensor& hidden_states() const { return h_; }
    const std::vector<float>& betas() const { return betas_; }
    std::int64_t chains() const { return chains_; }
    std::uint32_t sweeps() const { return sweeps_; }
    /// @}

    /// @{
    /// Per pair (r, r + 1): swaps accepted and attempted since construction, and their
    /// ratio (NaN before any attempt). Reading them copies R - 1 counters to the host.
    std::vector<std::int64_t> swaps_accepted() const;
    std::vector<std::int64_t> swaps_attempted() const { return attempted_; }
    std::vector<double> swap_rates() const;
    /// @}

    /// Resumes from a checkpoint: every state, the sweep count and the swap counters.
    void restore(ConstTensorView states, ConstTensorView hidden_states, std::uint32_t sweeps,
                 const std::vector<std::int64_t>& accepted, const std::vector<std::int64_t>& attempted);

private:
    Context& ctx_;
    std::int64_t visible_, hidden_, chains_;
    std::vector<float> betas_;
    Tensor betas_on_device_;  ///< [R] on ctx's device: the kernels' per-row beta
    Tensor v_, h_;            ///< [R * S, D], [R * S, M]
    Tensor accepted_;         ///< [2 (R - 1)] int32 holding R - 1 uint64 counters
    std::vector<std::int64_t> attempted_;
    std::uint32_t sweeps_ = 0;
};

}  // namespace ebmkit
