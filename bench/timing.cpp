#include "timing.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <vector>

#if EBMKIT_WITH_CUDA
#include <cuda_runtime_api.h>

#include <cublas_v2.h>

#include "kernels/cuda_check.hpp"
#endif

#include "ebmkit/tensor.hpp"

namespace ebmkit::bench {

namespace {

Stats summarise(std::vector<double> ms) {
    std::sort(ms.begin(), ms.end());
    return {ms[ms.size() / 2], ms.front(), ms.back()};
}

#if EBMKIT_WITH_CUDA
// One event pair per repetition, recorded around fn on the context's stream.
std::vector<double> time_cuda(Context& ctx, const std::function<void(int)>& fn, int reps) {
    std::vector<cudaEvent_t> events(2 * reps);
    for (auto& e : events) EBMKIT_CUDA_CHECK(cudaEventCreate(&e));
    for (int i = 0; i < reps; ++i) {
        EBMKIT_CUDA_CHECK(cudaEventRecord(events[2 * i], ctx.stream()));
        fn(i);
        EBMKIT_CUDA_CHECK(cudaEventRecord(events[2 * i + 1], ctx.stream()));
    }
    EBMKIT_CUDA_CHECK(cudaStreamSynchronize(ctx.stream()));
    std::vector<double> ms(reps);
    for (int i = 0; i < reps; ++i) {
        float t = 0;
        EBMKIT_CUDA_CHECK(cudaEventElapsedTime(&t, events[2 * i], events[2 * i + 1]));
        ms[i] = t;
    }
    for (auto& e : events) cudaEventDestroy(e);
    return ms;
}
#endif

}  // namespace

Stats time_runs(Context& ctx, const std::function<void(int)>& fn, int warmup, int reps) {
    for (int i = 0; i < warmup; ++i) fn(i);
    ctx.synchronize();
#if EBMKIT_WITH_CUDA
    if (ctx.backend() == Backend::Cuda) return summarise(time_cuda(ctx, fn, reps));
#endif
    std::vector<double> ms(reps);
    for (int i = 0; i < reps; ++i) {
        const auto start = std::chrono::steady_clock::now();
        fn(i);
        ms[i] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    }
    return summarise(ms);
}

double measured_copy_bandwidth(Context& ctx) {
#if EBMKIT_WITH_CUDA
    if (ctx.backend() == Backend::Cuda) {
        const std::int64_t n = std::int64_t{64} << 20;  // 256 MB per buffer, far past L2
        Tensor a = Tensor::zeros({n}, DType::F32, Device::Cuda), b = Tensor::zeros({n}, DType::F32, Device::Cuda);
        const Stats s = time_runs(
            ctx,
            [&](int) {
                EBMKIT_CUDA_CHECK(cudaMemcpyAsync(b.data<float>(), a.data<float>(), a.bytes(),
                                                  cudaMemcpyDeviceToDevice, ctx.stream()));
            },
            3, 20);
        return 2.0 * static_cast<double>(a.bytes()) / (s.median_ms * 1e-3);
    }
#endif
    (void)ctx;
    return 0.0;
}

double measured_gemm_rate(Context& ctx, Precision precision) {
#if EBMKIT_WITH_CUDA
    if (ctx.backend() == Backend::Cuda) {
        const int n = 4096;
        const bool bf16 = precision == Precision::Bf16;
        // Random operands: zeros run faster than real data on some parts. BF16 operands
        // are the top halves of the float32 values, two to an int32 element.
        std::vector<float> values(static_cast<std::size_t>(n) * n);
        for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>((i * 2654435761u) % 1000) * 1e-3f;
        Tensor host = Tensor::from(values, {n, n});
        if (bf16) {
            std::vector<std::int32_t> packed(values.size() / 2);
            for (std::size_t i = 0; i < packed.size(); ++i) {
                std::uint32_t lo, hi;
                std::memcpy(&lo, &values[2 * i], 4);
                std::memcpy(&hi, &values[2 * i + 1], 4);
                const std::uint32_t word = (lo >> 16) | (hi & 0xffff0000u);
                std::memcpy(&packed[i], &word, 4);
            }
            host = Tensor::from(packed, {n, n / 2});
        }
        const Tensor a = host.to(Device::Cuda), b = host.to(Device::Cuda);
        Tensor c({n, n}, DType::F32, Device::Cuda);
        const cudaDataType_t type = bf16 ? CUDA_R_16BF : CUDA_R_32F;
        const cublasComputeType_t compute = precision == Precision::Fp32   ? CUBLAS_COMPUTE_32F_PEDANTIC
                                            : precision == Precision::Tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32
                                                                           : CUBLAS_COMPUTE_32F;
        const float one = 1.0f, zero = 0.0f;
        const Stats s = time_runs(
            ctx,
            [&](int) {
                EBMKIT_CUBLAS_CHECK(cublasGemmEx(ctx.cublas(), CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one, a.view().raw(), type, n,
                                                 b.view().raw(), type, n, &zero, c.view().raw(), CUDA_R_32F, n, compute,
                                                 CUBLAS_GEMM_DEFAULT));
            },
            3, 10);
        return 2.0 * n * n * static_cast<double>(n) / (s.median_ms * 1e-3);
    }
#endif
    (void)ctx;
    (void)precision;
    return 0.0;
}

}  // namespace ebmkit::bench
