// The CPU-only build: no device exists, so device requests are errors.
#include <cstring>

#include "device_memory.hpp"
#include "ebmkit/context.hpp"
#include "ebmkit/error.hpp"

namespace ebmkit {

namespace detail {

namespace {
[[noreturn]] void no_cuda(const char* what) {
    throw Error(std::string(what) + ": ebmkit was built without CUDA");
}
}  // namespace

bool cuda_device_present() { return false; }
void* device_alloc(std::size_t) { no_cuda("device allocation"); }
void device_free(void*) noexcept {}

void copy_bytes(void* destination, Device destination_device, const void* source, Device source_device,
                std::size_t bytes) {
    if (destination_device != Device::Host || source_device != Device::Host) no_cuda("device copy");
    std::memmove(destination, source, bytes);
}

void zero_bytes(void* destination, Device device, std::size_t bytes) {
    if (device != Device::Host) no_cuda("device memset");
    std::memset(destination, 0, bytes);
}

}  // namespace detail

struct Context::CudaResources {};

void Context::CudaResourcesDeleter::operator()(CudaResources* resources) const noexcept { delete resources; }
Context::CudaResources& Context::cuda() { detail::no_cuda("Context"); }
CUstream_st* Context::stream() { detail::no_cuda("Context::stream"); }
cublasContext* Context::cublas() { detail::no_cuda("Context::cublas"); }
void* Context::workspace(std::size_t) { detail::no_cuda("Context::workspace"); }
void Context::synchronize() {}

}  // namespace ebmkit
