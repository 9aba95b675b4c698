// The JEM head on the device (the bodies: kernels/jem.cuh; the math: kernels/jem_head.hpp).
// Unfused, the head is one small kernel between the MLP's forward and backward passes,
// which share the workspace's activations; fused, it is the epilogue of the forward
// pass inside mlp_fused (kernels/mlp_fused.cu). Either way the batch's terms end in
// one block's sums, the iteration's one copy to the host.
#include <cuda_runtime.h>

#include "kernels/cuda_check.hpp"
#include "kernels/jem.cuh"
#include "kernels/jem.hpp"

namespace ebmkit::kernels {

namespace {

__global__ void __launch_bounds__(jem_threads)
    jem_head_kernel(const float* logits, const std::int32_t* labels, std::int64_t rows, int k, JemHeadWeights w,
                    float* dlogits, JemRowTerms* terms) {
    jem_body::jem_head(logits, labels, rows, k, w, dlogits, terms);
}

__global__ void __launch_bounds__(jem_threads)
    jem_batch_sums_kernel(const JemRowTerms* data, std::int64_t n, const JemRowTerms* samples, std::int64_t m,
                          JemBatchSums* out, JemGuard guard) {
    jem_body::jem_batch_sums<jem_threads>(data, n, samples, m, out, guard);
}

}  // namespace

void jem_head(const float* logits, const std::int32_t* labels, std::int64_t rows, std::int64_t k,
              const JemHeadWeights& w, float* dlogits, JemRowTerms* terms, CUstream_st* stream) {
    if (rows == 0) return;
    const LaunchShape shape = jem_head_shape(rows);
    jem_head_kernel<<<shape.blocks, shape.threads, 0, stream>>>(logits, labels, rows, static_cast<int>(k), w, dlogits,
                                                                 terms);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
}

void jem_batch_sums(const JemRowTerms* data, std::int64_t n, const JemRowTerms* samples, std::int64_t m,
                    JemBatchSums* out, const JemGuard& guard, CUstream_st* stream) {
    jem_batch_sums_kernel<<<1, jem_threads, 0, stream>>>(data, n, samples, m, out, guard);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace ebmkit::kernels
