// A grid-stride loop's start and step over items (elements or rows), for the bodies that
// walk their items so: any launch shape covers them, and the emulated suites run them on
// a small grid in several passes. The warp forms walk rows a warp per row.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace ebmkit::kernels {

__device__ inline std::int64_t first_item() { return static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; }
__device__ inline std::int64_t item_stride() { return static_cast<std::int64_t>(gridDim.x) * blockDim.x; }
__device__ inline std::int64_t first_warp_item() { return first_item() / 32; }
__device__ inline std::int64_t warp_item_stride() { return item_stride() / 32; }

}  // namespace ebmkit::kernels
