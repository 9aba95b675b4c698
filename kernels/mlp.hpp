// Launchers of kernels/mlp.cu. Plain C++: host/ includes this without CUDA headers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "ebmkit/context.hpp"
#include "ebmkit/mlp.hpp"
#include "kernels/launch_shape.hpp"
#include "kernels/operation.hpp"

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

// Forward pass of x [rows, widths[0]]: every pre-activation and activation kept in the
// workspace (mlp_scratch finds the logits in it), for MlpBackward on the same x.
struct MlpForward {
    struct Arguments {
        cublasContext* cublas = nullptr;
        MlpLayers mlp;
        const float* x = nullptr;
        std::int64_t rows = 0;
    };
    static Status can_implement(const Arguments&) { return {}; }
    static std::size_t workspace_bytes(const Arguments& a);
    static void run(const Arguments& a, void* workspace, CUstream_st* stream);
};

// Where, inside MlpForward's workspace, the logits [rows, K] are, and room for the
// head's lse [rows] and dlogits [rows, K] that MlpBackward may read (it overwrites them
// only after their last use).
struct MlpScratch {
    float* logits;
    float* lse;
    float* dlogits;
};
MlpScratch mlp_scratch(const MlpLayers& mlp, std::int64_t rows, void* workspace);

// dlogits [rows, K] = d E / d logits: -softmax(logits) (labels null) or -onehot(labels).
// lse [rows] receives LSE(logits) (unused with labels); energy [rows] (nullable) receives E.
void energy_head(const float* logits, const std::int32_t* labels, std::int64_t rows, std::int64_t k, float* lse,
                 float* dlogits, float* energy, CUstream_st* stream);

// Backward pass after MlpForward on the same x and workspace, from dlogits [rows, K]:
// dx [rows, widths[0]] (nullable) and, when dweights is non-empty, every dweights[l] and
// dbiases[l] (overwritten, or added to when accumulate).
struct MlpBackward {
    struct Arguments {
        cublasContext* cublas = nullptr;
        MlpLayers mlp;
        const float* x = nullptr;
        std::int64_t rows = 0;
        const float* dlogits = nullptr;
        float* dx = nullptr;
        std::vector<float*> dweights, dbiases;
        bool accumulate = false;
    };
    static Status can_implement(const Arguments&) { return {}; }
    // MlpForward's, which the backward pass reads and reuses.
    static std::size_t workspace_bytes(const Arguments& a) { return MlpForward::workspace_bytes({a.cublas, a.mlp, a.x, a.rows}); }
    static void run(const Arguments& a, void* workspace, CUstream_st* stream);
};

// One layer's parameter gradients from its input a [rows, in] and dL/dz delta [rows, out]:
// dw [out, in] = delta^T a (cuBLAS at `precision`) and db [out] = column sums of delta,
// overwritten, or added to when accumulate. The workspace: the column sums' partials.
struct LayerParamGrad {
    struct Arguments {
        cublasContext* cublas = nullptr;
        Precision precision = Precision::Fp32;
        const float* delta = nullptr;
        const float* a = nullptr;
        std::int64_t rows = 0;
        std::int64_t in = 0;
        std::int64_t out = 0;
        bool accumulate = false;
        float* dw = nullptr;
        float* db = nullptr;
    };
    static Status can_implement(const Arguments&) { return {}; }
    static std::size_t workspace_bytes(const Arguments& a);
    static void run(const Arguments& a, void* workspace, CUstream_st* stream);
};
// The most any layer of mlp needs at `rows` rows, in floats.
std::size_t layer_param_grad_partial_floats(const MlpLayers& mlp, std::int64_t rows);

}  // namespace ebmkit::kernels
