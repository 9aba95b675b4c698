// Launchers of kernels/mlp_fused.cu. Plain C++: host/ includes this without CUDA headers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/mlp.hpp"

struct CUstream_st;
struct cublasContext;

namespace ebmkit::kernels {

// Rows per block the fused kernels use for `rows` rows of this model at its precision,
// or 0 when the model does not fit on chip (more than 8 layers, or the buffers of 16
// rows plus the staging exceed a block's shared memory): the unfused path takes it.
int mlp_fused_rows(const MlpLayers& mlp, std::int64_t rows);

// x [rows, widths[0]], labels [rows] (nullable: E(x) = -LSE). Writes those of
// logits [rows, K], energy [rows] and, in the same pass, grad = dE/dx [rows, widths[0]]
// that are non-null.
void mlp_fused_energy(const MlpLayers& mlp, const float* x, std::int64_t rows, const std::int32_t* labels,
                      float* logits, float* energy, float* grad, CUstream_st* stream);

// Floats of workspace mlp_fused_param_grad needs: the hidden activations and deltas.
std::size_t mlp_fused_param_grad_floats(const MlpLayers& mlp, std::int64_t rows);

// Every dweights[l] [widths[l+1], widths[l]] and dbiases[l] of L = sum_r l_r(f(x_r))
// given dlogits [rows, K] (overwritten, or added to when accumulate).
void mlp_fused_param_grad(cublasContext* cublas, CUstream_st* stream, const MlpLayers& mlp, const float* x,
                          std::int64_t rows, const float* dlogits, float* workspace,
                          const std::vector<float*>& dweights, const std::vector<float*>& dbiases, bool accumulate);

}  // namespace ebmkit::kernels
