/// @file
/// Convergence diagnostics of MCMC output, per scalar (one coordinate of the chains, or
/// their energy), from a trace of `draws` states of `chains` chains:
///   effective sample size: M N / tau, tau = 1 + 2 sum_t rho_t, the autocorrelations
///     rho_t = 1 - (W - mean_c gamma_c(t)) / var+ combined across chains (gamma_c the
///     chain's autocovariance, W the mean within-chain variance, var+ = (N - 1) / N W + B / N),
///     the sum truncated by Geyer's initial monotone positive sequence (pairs
///     rho_{2k} + rho_{2k+1} summed while positive, each at most the one before);
///     Geyer (1992), Stat. Sci. 7; Gelman et al., BDA3 §11.5.
///   split R-hat: each chain split into halves, sqrt(var+ / W) over the 2M halves;
///     about 1 when the chains agree, > 1.01 a sign that they have not mixed.
/// Double arithmetic on the host; the trace is the chains' float states.
#pragma once

#include <cstdint>
#include <vector>

namespace ebmkit {

/// The effective sample size and split R-hat of each dimension of a chain trace.
struct ChainDiagnostics {
    std::vector<double> effective_sample_size;  ///< [dim]
    std::vector<double> split_r_hat;            ///< [dim]
};
/// The diagnostics of trace [draws, chains, dim] (row-major, a chain's state at each draw), per dimension.
ChainDiagnostics chain_diagnostics(const std::vector<float>& trace, std::int64_t draws, std::int64_t chains,
                                   std::int64_t dim);

/// @{
/// One scalar: values [draws, chains] with the given strides (in elements) between draws
/// and between chains. At least 4 draws; a constant trace has ESS draws * chains and R-hat 1.
double effective_sample_size(const float* values, std::int64_t draws, std::int64_t chains, std::int64_t draw_stride,
                             std::int64_t chain_stride);
double split_r_hat(const float* values, std::int64_t draws, std::int64_t chains, std::int64_t draw_stride,
                   std::int64_t chain_stride);
/// @}

}  // namespace ebmkit
