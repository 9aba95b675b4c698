// The CUDA resources a Context owns: stream, cuBLAS handle with its own workspace,
// scratch workspace. Each is created on first use and released with the Context.
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include "../device_memory.hpp"
#include "kernels/cuda_check.hpp"
#include "ebmkit/context.hpp"

namespace ebmkit {

namespace {
constexpr std::size_t cublas_workspace_bytes = std::size_t{32} << 20;
}  // namespace

struct Context::CudaResources {
    cudaStream_t stream = nullptr;
    cudaEvent_t fence = nullptr;  // stream ordering with a caller's stream (no timing)
    cublasHandle_t cublas = nullptr;
    void* cublas_workspace = nullptr;
    void* workspace = nullptr;
    std::size_t workspace_bytes = 0;

    CudaResources() = default;
    CudaResources(const CudaResources&) = delete;
    CudaResources& operator=(const CudaResources&) = delete;
    ~CudaResources() {
        if (stream) cudaStreamSynchronize(stream);
        if (cublas) cublasDestroy(cublas);
        if (cublas_workspace) detail::device_free(cublas_workspace);
        if (workspace) detail::device_free(workspace);
        if (fence) cudaEventDestroy(fence);
        if (stream) cudaStreamDestroy(stream);
    }
};

void Context::CudaResourcesDeleter::operator()(CudaResources* resources) const noexcept { delete resources; }

Context::CudaResources& Context::cuda() {
    if (backend_ != Backend::Cuda) throw Error("Context: CUDA resources requested from a cpu context");
    if (!cuda_) cuda_.reset(new CudaResources);
    return *cuda_;
}

CUstream_st* Context::stream() {
    CudaResources& r = cuda();
    if (!r.stream) EBMKIT_CUDA_CHECK(cudaStreamCreate(&r.stream));
    return r.stream;
}

cublasContext* Context::cublas() {
    CudaResources& r = cuda();
    if (!r.cublas) {
        EBMKIT_CUBLAS_CHECK(cublasCreate(&r.cublas));
        EBMKIT_CUBLAS_CHECK(cublasSetStream(r.cublas, stream()));
        // After cublasSetStream, which resets the workspace to the default pool: a
        // workspace of the Context's own (the size cuBLAS recommends for Hopper), so
        // that products captured into a CUDA graph never use cuBLAS's default one,
        // which cuBLAS may allocate or reset outside the capture.
        r.cublas_workspace = detail::device_alloc(cublas_workspace_bytes);
        EBMKIT_CUBLAS_CHECK(cublasSetWorkspace(r.cublas, r.cublas_workspace, cublas_workspace_bytes));
    }
    return r.cublas;
}

void* Context::workspace(std::size_t bytes) {
    CudaResources& r = cuda();
    if (bytes > r.workspace_bytes) {
        // Work queued on the stream may still use the old buffer.
        if (r.stream) {
            EBMKIT_CUDA_CHECK(cudaStreamSynchronize(r.stream));
            ++detail::transfer_counts().synchronizations;
        }
        if (r.workspace) detail::device_free(r.workspace);
        r.workspace = nullptr;
        r.workspace_bytes = 0;
        r.workspace = detail::device_alloc(bytes);
        r.workspace_bytes = bytes;
    }
    return r.workspace;
}

namespace {
cudaEvent_t fence_of(cudaEvent_t& fence) {
    if (!fence) EBMKIT_CUDA_CHECK(cudaEventCreateWithFlags(&fence, cudaEventDisableTiming));
    return fence;
}
}  // namespace

// One event serves both directions: cudaStreamWaitEvent waits for the work the event
// captured at its latest record, so re-recording it later changes no earlier wait.
void Context::wait_for_stream(CUstream_st* caller) {
    cudaStream_t own = stream();
    const cudaEvent_t e = fence_of(cuda().fence);
    EBMKIT_CUDA_CHECK(cudaEventRecord(e, caller));
    EBMKIT_CUDA_CHECK(cudaStreamWaitEvent(own, e, 0));
}

void Context::make_stream_wait(CUstream_st* caller) {
    cudaStream_t own = stream();
    const cudaEvent_t e = fence_of(cuda().fence);
    EBMKIT_CUDA_CHECK(cudaEventRecord(e, own));
    EBMKIT_CUDA_CHECK(cudaStreamWaitEvent(caller, e, 0));
}

void Context::synchronize() {
    if (backend_ != Backend::Cuda || !cuda_ || !cuda_->stream) return;
    EBMKIT_CUDA_CHECK(cudaStreamSynchronize(cuda_->stream));
    ++detail::transfer_counts().synchronizations;
}

}  // namespace ebmkit
