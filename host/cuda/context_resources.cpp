// The CUDA resources a Context owns: stream, cuBLAS handle with its own workspace,
// scratch workspace, pinned host staging. Each is created on first use and released
// with the Context; the stream lives on while a tensor allocated on it does.
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <memory>

#include "../device_memory.hpp"
#include "kernels/cuda_check.hpp"
#include "ebmkit/context.hpp"

namespace ebmkit {

namespace {
constexpr std::size_t cublas_workspace_bytes = std::size_t{32} << 20;

cudaEvent_t fence_of(cudaEvent_t& fence) {
    if (!fence) EBMKIT_CUDA_CHECK(cudaEventCreateWithFlags(&fence, cudaEventDisableTiming));
    return fence;
}
}  // namespace

struct Context::CudaResources {
    std::shared_ptr<CUstream_st> stream;  // shared with the tensors allocated on it
    bool have_stream = false;  // stream is set (an adopted legacy default stream is null)
    cudaEvent_t fence = nullptr;  // stream ordering with a caller's stream (no timing)
    cublasHandle_t cublas = nullptr;
    void* cublas_workspace = nullptr;
    void* workspace = nullptr;
    std::size_t workspace_bytes = 0;
    void* staging = nullptr;  // pinned host memory for what comes back (detail::read_back)
    std::size_t staging_bytes = 0;

    CudaResources() = default;
    CudaResources(const CudaResources&) = delete;
    CudaResources& operator=(const CudaResources&) = delete;
    ~CudaResources() {
        cudaStream_t s = stream.get();
        if (cublas) cublasDestroy(cublas);
        detail::device_free(cublas_workspace, s);
        detail::device_free(workspace, s);
        // The staging buffer may be the destination of a copy still queued.
        if (staging) {
            try {
                detail::stream_wait(s);
            } catch (...) {
            }
            detail::pinned_free(staging);
        }
        if (fence) cudaEventDestroy(fence);
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
    if (!r.have_stream) {
        // A blocking stream: ordered with the legacy default stream, on which tensors made
        // without a context are allocated and freed.
        cudaStream_t s = nullptr;
        EBMKIT_CUDA_CHECK(cudaStreamCreate(&s));
        // Destroyed once the context and every tensor on it are gone; queued work finishes first.
        r.stream = std::shared_ptr<CUstream_st>(s, [](cudaStream_t p) { cudaStreamDestroy(p); });
        r.have_stream = true;
    }
    return r.stream.get();
}

void Context::adopt_stream(CUstream_st* caller) {
    CudaResources& r = cuda();
    // Work queued on the previous stream (the context's own, or one adopted before) comes
    // first: the new stream waits for it, and tensors allocated there still free on it.
    if (r.have_stream && r.stream.get() != caller) {
        const cudaEvent_t e = fence_of(r.fence);
        EBMKIT_CUDA_CHECK(cudaEventRecord(e, r.stream.get()));
        EBMKIT_CUDA_CHECK(cudaStreamWaitEvent(caller, e, 0));
    }
    // Not owned: the caller keeps it alive as long as the context and its tensors.
    r.stream = std::shared_ptr<CUstream_st>(caller, [](CUstream_st*) {});
    r.have_stream = true;
    if (r.cublas) {
        // cublasSetStream resets the workspace to cuBLAS's default pool: the context's own again.
        EBMKIT_CUBLAS_CHECK(cublasSetStream(r.cublas, caller));
        EBMKIT_CUBLAS_CHECK(cublasSetWorkspace(r.cublas, r.cublas_workspace, cublas_workspace_bytes));
    }
}

std::shared_ptr<CUstream_st> detail::shared_stream(Context& ctx) {
    ctx.stream();
    return ctx.cuda().stream;
}

void* detail::host_staging(Context& ctx, std::size_t bytes) {
    auto& r = ctx.cuda();
    if (bytes > r.staging_bytes) {
        // A copy into the old buffer may still be queued.
        if (r.staging) {
            stream_wait(ctx.stream());
            pinned_free(r.staging);
        }
        r.staging = nullptr;
        r.staging_bytes = 0;
        r.staging = pinned_alloc(std::max<std::size_t>(bytes, 256));
        r.staging_bytes = std::max<std::size_t>(bytes, 256);
    }
    return r.staging;
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
        r.cublas_workspace = detail::device_alloc(cublas_workspace_bytes, stream());
        EBMKIT_CUBLAS_CHECK(cublasSetWorkspace(r.cublas, r.cublas_workspace, cublas_workspace_bytes));
    }
    return r.cublas;
}

void* Context::workspace(std::size_t bytes) {
    CudaResources& r = cuda();
    if (bytes > r.workspace_bytes) {
        // Freed in order on the stream: work queued before still reads the old buffer.
        detail::device_free(r.workspace, stream());
        r.workspace = nullptr;
        r.workspace_bytes = 0;
        r.workspace = detail::device_alloc(bytes, stream());
        r.workspace_bytes = bytes;
    }
    return r.workspace;
}

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
    if (backend_ != Backend::Cuda || !cuda_ || !cuda_->have_stream) return;
    detail::stream_wait(cuda_->stream.get());
}

}  // namespace ebmkit
