// CPU reference of the RBM evaluation: AIS and RAISE log weights, pseudo-likelihood.
#pragma once

#include <cstdint>
#include <vector>

#include "rbm.hpp"

namespace ebmkit::cpu {

// log w of each run (AIS from the base-rate model with visible bias base_b).
std::vector<double> ais_log_weights(const RbmParams<const float>& p, const float* base_b, std::int64_t runs,
                                    const std::vector<double>& betas, std::uint64_t seed);

// RAISE's log weights (ebmkit/rbm.hpp), [rows * runs], row n's run r at n * runs + r:
// -sum_k [log p*_k(v_{k-1}) - log p*_{k-1}(v_{k-1})] along the reverse chain from row n of v.
std::vector<double> raise_log_weights(const RbmParams<const float>& p, const float* base_b, const float* v,
                                      std::int64_t rows, std::int64_t runs, const std::vector<double>& betas,
                                      std::uint64_t seed);

void pseudo_log_likelihood(const RbmParams<const float>& p, const float* v, std::int64_t rows, float* out);

}  // namespace ebmkit::cpu
