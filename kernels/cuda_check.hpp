// CUDA error checks for kernels/ and host/cuda/: an Error naming the call, file and line.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <string>

#include "ebmkit/error.hpp"

namespace ebmkit::detail {

[[noreturn]] inline void throw_cuda_error(const char* call, const char* error, const char* file, int line) {
    throw Error(std::string("CUDA error: ") + call + " failed with " + error + " at " + file + ":" +
                std::to_string(line));
}

}  // namespace ebmkit::detail

#define EBMKIT_CUDA_CHECK(call)                                                                   \
    do {                                                                                          \
        const cudaError_t ebmkit_status_ = (call);                                                \
        if (ebmkit_status_ != cudaSuccess) {                                                      \
            ::ebmkit::detail::throw_cuda_error(#call, cudaGetErrorString(ebmkit_status_), __FILE__, \
                                               __LINE__);                                         \
        }                                                                                         \
    } while (0)

#define EBMKIT_CUBLAS_CHECK(call)                                                                   \
    do {                                                                                            \
        const cublasStatus_t ebmkit_status_ = (call);                                               \
        if (ebmkit_status_ != CUBLAS_STATUS_SUCCESS) {                                              \
            ::ebmkit::detail::throw_cuda_error(#call, cublasGetStatusString(ebmkit_status_), __FILE__, \
                                               __LINE__);                                           \
        }                                                                                           \
    } while (0)
