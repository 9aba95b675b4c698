// Internal: EBMKIT_HOST_DEVICE marks functions that host code and CUDA kernels share
// (philox.hpp, kernels/*_rule.hpp); EBMKIT_DEVICE declares a device function in a header
// that host-only code includes too.
#pragma once

#if defined(__CUDACC__)
#define EBMKIT_HOST_DEVICE __host__ __device__ __forceinline__
#define EBMKIT_DEVICE __device__
#else
#define EBMKIT_HOST_DEVICE inline
#define EBMKIT_DEVICE
#endif
