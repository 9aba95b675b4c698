// The one cache of device limits (kernels/launch_shape.hpp).
#include <cuda_runtime.h>

#include "kernels/cuda_check.hpp"
#include "kernels/launch_shape.hpp"

namespace ebmkit::kernels {

DeviceLimits device_limits() {
    thread_local int known_device = -1;
    thread_local DeviceLimits known{};
    int device = 0;
    EBMKIT_CUDA_CHECK(cudaGetDevice(&device));
    if (device != known_device) {
        EBMKIT_CUDA_CHECK(cudaDeviceGetAttribute(&known.shared_bytes, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
        EBMKIT_CUDA_CHECK(cudaDeviceGetAttribute(&known.multiprocessors, cudaDevAttrMultiProcessorCount, device));
        int major = 0;
        EBMKIT_CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device));
        known.cluster_blocks = major >= 9 ? 8 : 1;  // thread-block clusters from sm_90 on
        int cooperative = 0;
        EBMKIT_CUDA_CHECK(cudaDeviceGetAttribute(&cooperative, cudaDevAttrCooperativeLaunch, device));
        known.cooperative = cooperative != 0;
        known_device = device;
    }
    return known;
}

}  // namespace ebmkit::kernels
