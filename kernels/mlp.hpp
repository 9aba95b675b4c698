// Launchers of kernels/mlp.cu. Plain C++: host/ includes this without CUDA headers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "ebmkit/context.hpp"
#include "ebmkit/mlp.hpp"
#include "kernels/launch_shape.hpp"

struct CUstream_st;
struct cublasContext;

namespace ebmkit::kernels {

// A model's shape and device parameters: layer l maps widths[l] -> widths[l + 1] with
// weights[l] [widths[l + 1], widths[l]] and biases[l] [widths[l + 1]].
struct MlpLayers {
    std::vector<std::int64_t> widths;
    ActivationKind activation;
    float leaky_slope;
    std::vector<const float*> weights, biases;
    Precision precision;  // of the matrix products
};

// The launch shape of the elementwise kernels (kernels/mlp.cuh) over n elements:
// grid-stride, 256 threads a block.
inline LaunchShape mlp_elementwise_shape(std::int64_t n, const DeviceLimits& limits) {
    return grid_stride(n, 256, 256, limits);
}

// Floats of workspace mlp_forward and mlp_backward need for `rows` rows.
std::size_t mlp_workspace_floats(const MlpLayers& mlp, std::int64_t rows);

// Where, inside a workspace, mlp_forward leaves the logits [rows, K], and room for the
// head's lse [rows] and dlogits [rows, K] that mlp_backward may read (it overwrites
// them only after their last use).
struct MlpScratch {
    float* logits;
    float* lse;
    float* dlogits;
};
MlpScratch mlp_scratch(const MlpLayers& mlp, std::int64_t rows, float* workspace);

// Forward pass of x [rows, widths[0]]: every pre-activation and activation kept in workspace.
void mlp_forward(cublasContext* cublas, CUstream_st* stream, const MlpLayers& mlp, const float* x, std::int64_t rows,
                 float* workspace);

// dlogits [rows, K] = d E / d logits: -softmax(logits) (labels null) or -onehot(labels).
// lse [rows] receives LSE(logits) (unused with labels); energy [rows] (nullable) receives E.
void energy_head(const float* logits, const std::int32_t* labels, std::int64_t rows, std::int64_t k, float* lse,
                 float* dlogits, float* energy, CUstream_st* stream);

// Backward pass after mlp_forward on the same x and workspace, from dlogits [rows, K]:
// dx [rows, widths[0]] (nullable) and, when dweights is non-empty, every dweights[l] and
// dbiases[l] (overwritten, or added to when accumulate).
void mlp_backward(cublasContext* cublas, CUstream_st* stream, const MlpLayers& mlp, const float* x, std::int64_t rows,
                  float* workspace, const float* dlogits, float* dx, const std::vector<float*>& dweights,
                  const std::vector<float*>& dbiases, bool accumulate);

// One layer's parameter gradients from its input a [rows, in] and dL/dz delta [rows, out]:
// dw [out, in] = delta^T a (cuBLAS at `precision`) and db [out] = column sums of delta,
// overwritten, or added to when accumulate; partials is the column sums' scratch, at
// least layer_param_grad_partial_floats(mlp, rows) floats for any layer of mlp.
void layer_param_grad(cublasContext* cublas, CUstream_st* stream, Precision precision, const float* delta,
                      const float* a, std::int64_t rows, std::int64_t in, std::int64_t out, bool accumulate, float* dw,
                      float* db, float* partials);
std::size_t layer_param_grad_partial_floats(const MlpLayers& mlp, std::int64_t rows);

}  // namespace ebmkit::kernels
