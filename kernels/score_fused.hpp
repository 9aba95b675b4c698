// Launcher of kernels/score_fused.cu. Plain C++: host/ includes this without CUDA headers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/mlp.hpp"
#include "kernels/operation.hpp"

struct CUstream_st;
struct cublasContext;

namespace ebmkit::kernels {

// Denoising score matching on x [rows, D] with noise [rows, D] and sigma [rows]
// (ebmkit/score.hpp): *loss = scale * the sum of the rows' losses and, when dweights is
// non-empty, every dweights[l], dbiases[l] = its parameter gradient (overwritten). The
// fused second-order kernel (kernels/score_fused.cuh), then cuBLAS's weight products
// and the column sums. can_implement: at most 8 layers, and 16 rows' buffers (three per
// hidden layer, two for the output) plus the staging within a block's shared memory.
struct FusedDenoisingScore {
    struct Arguments {
        cublasContext* cublas = nullptr;
        MlpLayers mlp;
        const float* x = nullptr;
        const float* noise = nullptr;
        const float* sigma = nullptr;
        std::int64_t rows = 0;
        bool scaled_by_noise = false;
        bool sigma_squared_weight = false;
        float scale = 1.0f;
        float* loss = nullptr;
        std::vector<float*> dweights, dbiases;
    };
    static Status can_implement(const Arguments& a);
    static std::size_t workspace_bytes(const Arguments& a);
    static void run(const Arguments& a, void* workspace, CUstream_st* stream);
};

}  // namespace ebmkit::kernels
