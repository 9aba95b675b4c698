// The door to the CUDA runtime's memory, copy and wait calls (host/device_memory.hpp):
// the only file of host/ that makes them, and where Context::transfers() counts them.
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

// Tensors and scratch come from the device's default memory pool, stream-ordered:
// cudaMallocAsync and cudaFreeAsync on the stream that uses the block, no device-wide
// stall (cudaFree has one). The pool keeps what is freed (release threshold: never), so
// a steady loop reuses its blocks. Devices without pools fall back to cudaMalloc after
// a wait for the stream, the one place a free waits.
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

void count_wait() { ++transfer_counts().synchronizations; }

}  // namespace

void* device_alloc(std::size_t bytes, CUstream_st* stream) {
    const std::size_t total = device_bytes();
    if (bytes > total) {
        throw Error("device allocation: " + std::to_string(bytes) + " bytes requested, the device has " +
                    std::to_string(total));
    }
    void* p = nullptr;
    const cudaError_t status = use_pool() ? cudaMallocAsync(&p, bytes, stream) : cudaMalloc(&p, bytes);
    if (status != cudaSuccess) {
        cudaGetLastError();  // an allocation error is not sticky; clear it
        std::size_t free = 0, ignored = 0;
        cudaMemGetInfo(&free, &ignored);
        throw Error("device allocation of " + std::to_string(bytes) + " bytes failed (" + std::to_string(free) +
                    " of " + std::to_string(total) + " free): " + cudaGetErrorString(status));
    }
    ++transfer_counts().allocations;
    return p;
}

void device_free(void* pointer, CUstream_st* stream) noexcept {
    if (!pointer) return;
    if (use_pool()) {
        cudaFreeAsync(pointer, stream);
    } else {
        // cudaFree waits for the whole device; counted as the wait it is.
        cudaFree(pointer);
        count_wait();
    }
}

void* pinned_alloc(std::size_t bytes) {
    void* p = nullptr;
    EBMKIT_CUDA_CHECK(cudaMallocHost(&p, bytes));
    return p;
}

void pinned_free(void* pointer) noexcept {
    if (pointer) cudaFreeHost(pointer);
}

void device_copy(void* destination, Device destination_device, const void* source, Device source_device,
                 std::size_t bytes) {
    // Unified addressing lets the runtime infer the direction. A copy with a host side
    // returns once it is done: a wait for the legacy stream, hence for every blocking one.
    EBMKIT_CUDA_CHECK(cudaMemcpy(destination, source, bytes, cudaMemcpyDefault));
    if (destination_device != source_device) {
        ++transfer_counts().copies;
        count_wait();
    }
}

void device_copy_async(void* destination, const void* source, std::size_t bytes, bool host_side,
                       CUstream_st* stream) {
    EBMKIT_CUDA_CHECK(cudaMemcpyAsync(destination, source, bytes, cudaMemcpyDefault, stream));
    if (host_side) ++transfer_counts().copies;
}

void device_zero(void* destination, std::size_t bytes, CUstream_st* stream) {
    EBMKIT_CUDA_CHECK(cudaMemsetAsync(destination, 0, bytes, stream));
}

void stream_wait(CUstream_st* stream) {
    EBMKIT_CUDA_CHECK(cudaStreamSynchronize(stream));
    count_wait();
}

}  // namespace ebmkit::detail
