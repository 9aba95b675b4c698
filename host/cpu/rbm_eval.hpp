// CPU reference of the RBM evaluation: AIS log weights and pseudo-likelihood.
#pragma once

#include <cstdint>
#include <vector>

#include "rbm.hpp"

namespace ebmkit::cpu {

// log w of each run (AIS from the base-rate model with visible bias base_b).
std::vector<double> ais_log_weights(const RbmParams<const float>& p, const float* base_b, std::int64_t runs,
                                    const std::vector<double>& betas, std::uint64_t seed);

void pseudo_log_likelihood(const RbmParams<const float>& p, const float* v, std::int64_t rows, float* out);

}  // namespace ebmkit::cpu
