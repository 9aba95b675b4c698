// Centred RBM training in the plain parametrisation: the offsets' moving averages and
// the centred gradient (the math: kernels/centering.cuh). Tiny next to the sweeps: a
// thread per column or weight, a warp per visible unit.
#include <cuda_runtime.h>

#include "kernels/centering.cuh"
#include "kernels/centering.hpp"
#include "kernels/cuda_check.hpp"

namespace ebmkit::kernels {

namespace {

using namespace centering_body;

__global__ void __launch_bounds__(centering_threads)
    centering_offsets_kernel(float* offset, const float* x, std::int64_t rows, std::int64_t cols, float rate) {
    offsets(offset, x, rows, cols, rate);
}

__global__ void __launch_bounds__(centering_threads)
    centering_weights_kernel(float* gw, const float* gb, const float* gc, const float* mu, const float* lambda,
                             std::int64_t visible, std::int64_t hidden) {
    weights(gw, gb, gc, mu, lambda, visible, hidden);
}

__global__ void __launch_bounds__(centering_threads)
    centering_visible_bias_kernel(const float* gw, float* gb, const float* lambda, std::int64_t visible,
                                  std::int64_t hidden) {
    visible_bias(gw, gb, lambda, visible, hidden);
}

__global__ void __launch_bounds__(centering_threads)
    centering_hidden_bias_kernel(const float* gw, float* gc, const float* mu, std::int64_t visible, std::int64_t hidden) {
    hidden_bias(gw, gc, mu, visible, hidden);
}

struct DeviceOps {
    cudaStream_t stream;
    void weights(float* gw, const float* gb, const float* gc, const float* mu, const float* lambda, std::int64_t d,
                 std::int64_t m) const {
        const LaunchShape s = centering_weights_shape(d * m);
        centering_weights_kernel<<<s.blocks, s.threads, 0, stream>>>(gw, gb, gc, mu, lambda, d, m);
        EBMKIT_CUDA_CHECK(cudaGetLastError());
    }
    void visible_bias(const float* gw, float* gb, const float* lambda, std::int64_t d, std::int64_t m) const {
        const LaunchShape s = centering_rows_shape(d);
        centering_visible_bias_kernel<<<s.blocks, s.threads, 0, stream>>>(gw, gb, lambda, d, m);
        EBMKIT_CUDA_CHECK(cudaGetLastError());
    }
    void hidden_bias(const float* gw, float* gc, const float* mu, std::int64_t d, std::int64_t m) const {
        const LaunchShape s = centering_columns_shape(m);
        centering_hidden_bias_kernel<<<s.blocks, s.threads, 0, stream>>>(gw, gc, mu, d, m);
        EBMKIT_CUDA_CHECK(cudaGetLastError());
    }
};

}  // namespace

void centering_offsets(float* offset, const float* x, std::int64_t rows, std::int64_t cols, float rate,
                       CUstream_st* stream) {
    if (rows == 0 || cols == 0) return;
    const LaunchShape s = centering_columns_shape(cols);
    centering_offsets_kernel<<<s.blocks, s.threads, 0, stream>>>(offset, x, rows, cols, rate);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
}

void centered_gradient(float* gw, float* gb, float* gc, const float* mu, const float* lambda, std::int64_t visible,
                       std::int64_t hidden, CUstream_st* stream) {
    DeviceOps ops{stream};
    centered_gradient_sequence(gw, gb, gc, mu, lambda, visible, hidden, ops);
}

}  // namespace ebmkit::kernels
