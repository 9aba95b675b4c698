// Launchers of kernels/langevin_chain.cu. Plain C++: host/ includes this without CUDA headers.
#pragma once

#include <cstdint>

#include "kernels/langevin.hpp"
#include "kernels/mlp.hpp"

struct CUstream_st;

namespace ebmkit::kernels {

// Chains per block the fused chain kernel uses for `rows` chains of this model at its
// precision, or 0 when x and the activations of 16 chains do not fit in a block's
// shared memory (or the model has more than 8 layers).
int langevin_chain_fused_rows(const MlpLayers& mlp, std::int64_t rows);

// `steps` unadjusted Langevin steps of x [rows, widths[0]] in place, keyed first.step,
// first.step + 1, ...; labels (nullable) make row r sample E(x, labels[r]); trace
// (nullable) [steps, rows] receives the energy after each step.
void langevin_chain_fused(const MlpLayers& mlp, float* x, std::int64_t rows, const std::int32_t* labels,
                          const LangevinStep& first, std::uint32_t steps, float* trace, CUstream_st* stream);

}  // namespace ebmkit::kernels
