// The CPU-only build: no device exists, so device requests are errors.
#include <string>

#include "device_memory.hpp"
#include "ebmkit/context.hpp"
#include "ebmkit/error.hpp"
#include "ops/ops.hpp"

namespace ebmkit {

namespace detail {

namespace {
[[noreturn]] void no_cuda(const char* what) {
    throw Error(std::string(what) + ": ebmkit was built without CUDA");
}
}  // namespace

bool cuda_device_present() { return false; }
void* device_alloc(std::size_t, CUstream_st*) { no_cuda("device allocation"); }
void device_free(void*, CUstream_st*) noexcept {}
void* pinned_alloc(std::size_t) { no_cuda("pinned allocation"); }
void pinned_free(void*) noexcept {}

void device_copy(void*, Device, const void*, Device, std::size_t) { no_cuda("device copy"); }
void device_copy_async(void*, const void*, std::size_t, bool, CUstream_st*) { no_cuda("device copy"); }
void device_zero(void*, std::size_t, CUstream_st*) { no_cuda("device memset"); }
void stream_wait(CUstream_st*) { no_cuda("stream wait"); }
std::shared_ptr<CUstream_st> shared_stream(Context&) { no_cuda("Context::stream"); }
void* host_staging(Context&, std::size_t) { no_cuda("host staging"); }
// Unreachable: a cuda context cannot be made in this build.
const Ops& cuda_ops() { no_cuda("the CUDA backend"); }

}  // namespace detail

struct Context::CudaResources {};

void Context::CudaResourcesDeleter::operator()(CudaResources* resources) const noexcept { delete resources; }
Context::CudaResources& Context::cuda() { detail::no_cuda("Context"); }
CUstream_st* Context::stream() { detail::no_cuda("Context::stream"); }
cublasContext* Context::cublas() { detail::no_cuda("Context::cublas"); }
void* Context::workspace(std::size_t) { detail::no_cuda("Context::workspace"); }
void Context::synchronize() {}
void Context::wait_for_stream(CUstream_st*) { detail::no_cuda("Context::wait_for_stream"); }
void Context::make_stream_wait(CUstream_st*) { detail::no_cuda("Context::make_stream_wait"); }
void Context::adopt_stream(CUstream_st*) { detail::no_cuda("Context::adopt_stream"); }

}  // namespace ebmkit
