// Launchers of kernels/logsumexp.cu. Plain C++: host/ includes this without CUDA headers.
#pragma once

#include <cstdint>

struct CUstream_st;

namespace ebmkit::kernels {

// out[r] = log sum_k exp(x[r, k]); x: rows x cols, row-major, device pointers.
void logsumexp_forward(const float* x, float* out, std::int64_t rows, std::int64_t cols, CUstream_st* stream);

// dx[r, k] = dlse[r] * exp(x[r, k] - lse[r]) (0 where lse[r] = -inf). dx may be x.
void logsumexp_backward(const float* x, const float* lse, const float* dlse, float* dx, std::int64_t rows,
                        std::int64_t cols, CUstream_st* stream);

}  // namespace ebmkit::kernels
