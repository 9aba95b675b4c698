// Launchers of kernels/jem.cu (the JEM head, the batch sums, the fused parameter
// gradient with the head as its epilogue) and their launch shapes. Plain C++: host/
// includes this without CUDA headers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/jem_head.hpp"
#include "kernels/launch_shape.hpp"
#include "kernels/mlp.hpp"

struct CUstream_st;
struct cublasContext;

namespace ebmkit::kernels {

inline constexpr int jem_threads = 256;

// The head: a warp per row.
inline LaunchShape jem_head_shape(std::int64_t rows) { return one_per_thread(rows * 32, jem_threads, "jem_head"); }

// dlogits [rows, k] and terms [rows] of logits [rows, k] (labels [rows] for data rows).
void jem_head(const float* logits, const std::int32_t* labels, std::int64_t rows, std::int64_t k,
              const JemHeadWeights& w, float* dlogits, JemRowTerms* terms, CUstream_st* stream);

// *out (device) = the sums of data terms [n] and sample terms [m], by one block.
void jem_batch_sums(const JemRowTerms* data, std::int64_t n, const JemRowTerms* samples, std::int64_t m,
                    JemBatchSums* out, CUstream_st* stream);

// Floats of workspace mlp_fused_jem_grad needs.
std::size_t mlp_fused_jem_grad_floats(const MlpLayers& mlp, std::int64_t rows);

// One set's JEM terms [rows] and its parameter gradient, added to dweights / dbiases
// (or overwriting them unless accumulate), from one fused kernel that runs the forward
// pass, the head on the logits it keeps on chip and the backward pass, then cuBLAS's
// weight products. The model must fit (FusedMlpEnergy::can_implement).
void mlp_fused_jem_grad(cublasContext* cublas, CUstream_st* stream, const MlpLayers& mlp, const float* x,
                        std::int64_t rows, const std::int32_t* labels, const JemHeadWeights& w, float* workspace,
                        JemRowTerms* terms, const std::vector<float*>& dweights, const std::vector<float*>& dbiases,
                        bool accumulate);

}  // namespace ebmkit::kernels
