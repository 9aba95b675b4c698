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
#include "kernels/operation.hpp"

struct CUstream_st;
struct cublasContext;

namespace ebmkit::kernels {

inline constexpr int jem_threads = 256;

// The head: a warp per row.
inline LaunchShape jem_head_shape(std::int64_t rows) { return one_per_thread(rows * 32, jem_threads, "jem_head"); }

// dlogits [rows, k] and terms [rows] of logits [rows, k] (labels [rows] for data rows).
void jem_head(const float* logits, const std::int32_t* labels, std::int64_t rows, std::int64_t k,
              const JemHeadWeights& w, float* dlogits, JemRowTerms* terms, CUstream_st* stream);

// *out (device) = the sums of data terms [n] and sample terms [m] and the guard's verdict,
// by one block.
void jem_batch_sums(const JemRowTerms* data, std::int64_t n, const JemRowTerms* samples, std::int64_t m,
                    JemBatchSums* out, const JemGuard& guard, CUstream_st* stream);

// One set's JEM terms [rows] and its parameter gradient, added to dweights / dbiases
// (or overwriting them unless accumulate), from one fused kernel that runs the forward
// pass, the head on the logits it keeps on chip and the backward pass, then cuBLAS's
// weight products. The workspace: the head's dlogits, the hidden activations and deltas.
// can_implement: the model fits on chip (as FusedMlpEnergy's).
struct FusedJemGrad {
    struct Arguments {
        cublasContext* cublas = nullptr;
        MlpLayers mlp;
        const float* x = nullptr;
        std::int64_t rows = 0;
        const std::int32_t* labels = nullptr;  // data rows: their labels; samples: null
        JemHeadWeights head{};
        JemRowTerms* terms = nullptr;
        std::vector<float*> dweights, dbiases;
        bool accumulate = false;
        TilePlan plan = TilePlan::Auto;
    };
    static Status can_implement(const Arguments& a);
    static std::size_t workspace_bytes(const Arguments& a);
    static void run(const Arguments& a, void* workspace, CUstream_st* stream);
};

}  // namespace ebmkit::kernels
