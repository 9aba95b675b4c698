// Internal: EBMKIT_HOST_DEVICE marks functions that host code and CUDA kernels share
// (philox.hpp, kernels/*_rule.hpp).
#pragma once

#if defined(__CUDACC__)
#define EBMKIT_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define EBMKIT_HOST_DEVICE inline
#endif
