#include "logsumexp.hpp"

#include <cmath>
#include <limits>

namespace ebmkit::cpu {

template <typename T>
double logsumexp_row(const T* x, std::int64_t n) {
    double m = -std::numeric_limits<double>::infinity();
    bool nan = false;
    for (std::int64_t k = 0; k < n; ++k) {
        const double v = x[k];
        if (std::isnan(v)) nan = true;
        else if (v > m) m = v;
    }
    if (nan) return std::numeric_limits<double>::quiet_NaN();
    if (std::isinf(m)) return m;  // all -inf, or some +inf
    double s = 0.0;
    for (std::int64_t k = 0; k < n; ++k) s += std::exp(static_cast<double>(x[k]) - m);
    return m + std::log(s);
}
template double logsumexp_row<float>(const float*, std::int64_t);
template double logsumexp_row<double>(const double*, std::int64_t);

void logsumexp(const float* x, std::int64_t rows, std::int64_t cols, float* out) {
#pragma omp parallel for schedule(static)
    for (std::int64_t r = 0; r < rows; ++r) out[r] = static_cast<float>(logsumexp_row(x + r * cols, cols));
}

void logsumexp_backward(const float* x, const float* lse, const float* dlse, float* dx, std::int64_t rows,
                        std::int64_t cols) {
#pragma omp parallel for schedule(static)
    for (std::int64_t r = 0; r < rows; ++r) {
        const double g = dlse[r];
        const double l = lse[r];
        for (std::int64_t k = 0; k < cols; ++k) {
            dx[r * cols + k] = static_cast<float>(g * softmax_entry(x[r * cols + k], l));
        }
    }
}

}  // namespace ebmkit::cpu
