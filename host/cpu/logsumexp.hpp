// CPU reference of kernels/logsumexp.cu, accumulating in double.
#pragma once

#include <cmath>
#include <cstdint>

namespace ebmkit::cpu {

// log sum_k exp(x[k]) for one row with the special values of docs/ARCHITECTURE.md §1. T: float or double.
template <typename T>
double logsumexp_row(const T* x, std::int64_t n);

// d LSE / d x = exp(x - lse); 0 when lse = -inf (a row of all -inf).
inline double softmax_entry(double x, double lse) {
    return std::isinf(lse) && lse < 0 ? 0.0 : std::exp(x - lse);
}

void logsumexp(const float* x, std::int64_t rows, std::int64_t cols, float* out);
void logsumexp_backward(const float* x, const float* lse, const float* dlse, float* dx, std::int64_t rows,
                        std::int64_t cols);

}  // namespace ebmkit::cpu
