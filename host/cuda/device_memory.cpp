// Device memory through the CUDA runtime (the CUDA build's device_memory.hpp).
#include "../device_memory.hpp"

#include <cuda_runtime_api.h>

#include "kernels/cuda_check.hpp"

namespace ebmkit::detail {

bool cuda_device_present() {
    static const bool present = [] {
        int count = 0;
        return cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
    }();
    return present;
}

void* device_alloc(std::size_t bytes) {
    void* p = nullptr;
    EBMKIT_CUDA_CHECK(cudaMalloc(&p, bytes));
    return p;
}

void device_free(void* pointer) noexcept { cudaFree(pointer); }

void device_copy(void* destination, const void* source, std::size_t bytes) {
    // Unified addressing lets the runtime infer the direction.
    EBMKIT_CUDA_CHECK(cudaMemcpy(destination, source, bytes, cudaMemcpyDefault));
}

void device_zero(void* destination, std::size_t bytes) { EBMKIT_CUDA_CHECK(cudaMemset(destination, 0, bytes)); }

}  // namespace ebmkit::detail
