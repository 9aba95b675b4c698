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

// call's status against ok, described by describe(status) in the Error.
#define EBMKIT_CHECK_STATUS_(call, Status, ok, describe)                                             \
    do {                                                                                             \
        const Status ebmkit_status_ = (call);                                                        \
        if (ebmkit_status_ != (ok)) {                                                                \
            ::ebmkit::detail::throw_cuda_error(#call, describe(ebmkit_status_), __FILE__, __LINE__); \
        }                                                                                            \
    } while (0)

#define EBMKIT_CUDA_CHECK(call) EBMKIT_CHECK_STATUS_(call, cudaError_t, cudaSuccess, cudaGetErrorString)
#define EBMKIT_CUBLAS_CHECK(call) \
    EBMKIT_CHECK_STATUS_(call, cublasStatus_t, CUBLAS_STATUS_SUCCESS, cublasGetStatusString)
