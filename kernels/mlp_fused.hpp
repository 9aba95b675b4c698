// Launchers of kernels/mlp_fused.cu. Plain C++: host/ includes this without CUDA headers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/mlp.hpp"
#include "kernels/operation.hpp"

struct CUstream_st;
struct cublasContext;

namespace ebmkit::kernels {

// x [rows, widths[0]], labels [rows] (nullable: E(x) = -LSE). Writes those of
// logits [rows, K], energy [rows] and, in the same pass, grad = dE/dx [rows, widths[0]]
// that are non-null. can_implement: the model fits on chip (at most 8 layers, the
// buffers of 16 rows plus the staging within a block's shared memory); else the
// unfused path takes it. plan: row tiles or clusters (kernels/launch_shape.hpp's
// TileLaunch), here and in FusedMlpParamGrad and FusedJemGrad; the same bits.
struct FusedMlpEnergy {
    struct Arguments {
        MlpLayers mlp;
        const float* x = nullptr;
        std::int64_t rows = 0;
        const std::int32_t* labels = nullptr;
        float* logits = nullptr;
        float* energy = nullptr;
        float* grad = nullptr;
        TilePlan plan = TilePlan::Auto;
    };
    static Status can_implement(const Arguments& a);
    static std::size_t workspace_bytes(const Arguments&) { return 0; }
    static void run(const Arguments& a, void* workspace, CUstream_st* stream);
};

// Every dweights[l] [widths[l+1], widths[l]] and dbiases[l] of L = sum_r l_r(f(x_r))
// given dlogits [rows, K] (overwritten, or added to when accumulate): the fused backward
// kernel, then cuBLAS's weight gradients. The workspace holds the hidden activations and
// deltas. can_implement: as FusedMlpEnergy's.
struct FusedMlpParamGrad {
    struct Arguments {
        cublasContext* cublas = nullptr;
        MlpLayers mlp;
        const float* x = nullptr;
        std::int64_t rows = 0;
        const float* dlogits = nullptr;
        std::vector<float*> dweights, dbiases;
        bool accumulate = false;
        TilePlan plan = TilePlan::Auto;
    };
    static Status can_implement(const Arguments& a);
    static std::size_t workspace_bytes(const Arguments& a);
    static void run(const Arguments& a, void* workspace, CUstream_st* stream);
};

}  // namespace ebmkit::kernels
