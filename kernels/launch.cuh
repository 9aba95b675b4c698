// Launches a kernel in the shape a plan chose (kernels/launch_shape.hpp): its dynamic
// shared memory opted in to, and its blocks grouped into thread-block clusters of
// shape.cluster through cudaLaunchKernelEx when the plan has clusters, cooperative (every
// block resident, a grid barrier allowed) when the plan says so. The one place the
// on-chip kernels (fused MLP, fused Langevin chain, RBM Gibbs chain) are launched.
#pragma once

#include <cuda_runtime.h>

#include <utility>

#include "kernels/cuda_check.hpp"
#include "kernels/launch_shape.hpp"

namespace ebmkit::kernels {

template <class... Params, class... Args>
void launch_planned(void (*kernel)(Params...), const LaunchShape& s, cudaStream_t stream, Args&&... args) {
    if (s.shared_bytes > default_dynamic_shared_bytes) {
        EBMKIT_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, s.shared_bytes));
    }
    cudaLaunchConfig_t config{};
    config.gridDim = dim3(s.blocks, s.blocks_y);
    config.blockDim = dim3(static_cast<unsigned>(s.threads));
    config.dynamicSmemBytes = static_cast<std::size_t>(s.shared_bytes);
    config.stream = stream;
    cudaLaunchAttribute attribute{};
    if (s.cluster > 1) {
        attribute.id = cudaLaunchAttributeClusterDimension;
        attribute.val.clusterDim.x = static_cast<unsigned>(s.cluster);
        attribute.val.clusterDim.y = 1;
        attribute.val.clusterDim.z = 1;
    } else if (s.cooperative) {
        attribute.id = cudaLaunchAttributeCooperative;
        attribute.val.cooperative = 1;
    }
    if (s.cluster > 1 || s.cooperative) {
        config.attrs = &attribute;
        config.numAttrs = 1;
    }
    EBMKIT_CUDA_CHECK(cudaLaunchKernelEx(&config, kernel, std::forward<Args>(args)...));
}

}  // namespace ebmkit::kernels
