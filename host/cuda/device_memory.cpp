// Device memory through the CUDA runtime (the CUDA build's device_memory.hpp).
#include "../device_memory.hpp"

#include <cuda_runtime_api.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "kernels/cuda_check.hpp"

namespace ebmkit::detail {

bool cuda_device_present() {
    static const bool present = [] {
        int count = 0;
        return cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
    }();
    return present;
}

namespace {

// Tensors come and go every training iteration; cudaMalloc / cudaFree cost tens of
// microseconds and cudaFree stalls the device. Where the device supports memory
// pools, blocks come from its default pool, which keeps freed memory for reuse.
// Both ends are queued on the legacy default stream, which is ordered with every
// blocking stream (the Context's), so a block is never reused while queued work
// still reads it.
bool use_pool() {
    static const bool pool = [] {
        int device = 0, supported = 0;
        if (cudaGetDevice(&device) != cudaSuccess) return false;
        if (cudaDeviceGetAttribute(&supported, cudaDevAttrMemoryPoolsSupported, device) != cudaSuccess || !supported) {
            return false;
        }
        cudaMemPool_t p = nullptr;
        if (cudaDeviceGetDefaultMemPool(&p, device) != cudaSuccess) return false;
        std::uint64_t keep = UINT64_MAX;
        return cudaMemPoolSetAttribute(p, cudaMemPoolAttrReleaseThreshold, &keep) == cudaSuccess;
    }();
    return pool;
}

// The current device's size, asked once per device: a request beyond it fails before
// the allocator runs.
std::size_t device_bytes() {
    static std::mutex mutex;
    static std::map<int, std::size_t> known;
    int device = 0;
    EBMKIT_CUDA_CHECK(cudaGetDevice(&device));
    std::lock_guard<std::mutex> lock(mutex);
    auto it = known.find(device);
    if (it == known.end()) {
        std::size_t free = 0, total = 0;
        EBMKIT_CUDA_CHECK(cudaMemGetInfo(&free, &total));
        it = known.emplace(device, total).first;
    }
    return it->second;
}

}  // namespace

void* device_alloc(std::size_t bytes) {
    const std::size_t total = device_bytes();
    if (bytes > total) {
        throw Error("device allocation: " + std::to_string(bytes) + " bytes requested, the device has " +
                    std::to_string(total));
    }
    void* p = nullptr;
    const cudaError_t status = use_pool() ? cudaMallocAsync(&p, bytes, nullptr) : cudaMalloc(&p, bytes);
    if (status != cudaSuccess) {
        cudaGetLastError();  // an allocation error is not sticky; clear it
        std::size_t free = 0, ignored = 0;
        cudaMemGetInfo(&free, &ignored);
        throw Error("device allocation of " + std::to_string(bytes) + " bytes failed (" + std::to_string(free) +
                    " of " + std::to_string(total) + " free): " + cudaGetErrorString(status));
    }
    return p;
}

void device_free(void* pointer) noexcept {
    if (use_pool()) cudaFreeAsync(pointer, nullptr);
    else cudaFree(pointer);
}

void device_copy(void* destination, Device destination_device, const void* source, Device source_device,
                 std::size_t bytes) {
    // Unified addressing lets the runtime infer the direction.
    EBMKIT_CUDA_CHECK(cudaMemcpy(destination, source, bytes, cudaMemcpyDefault));
    if (destination_device != source_device) ++transfer_counts().copies;
}

void device_zero(void* destination, std::size_t bytes) { EBMKIT_CUDA_CHECK(cudaMemset(destination, 0, bytes)); }

}  // namespace ebmkit::detail
