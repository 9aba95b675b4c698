#include "centering.hpp"

#include <vector>

namespace ebmkit::cpu {

void centering_offsets(float* offset, const float* x, std::int64_t rows, std::int64_t cols, float rate) {
    std::vector<double> sum(static_cast<std::size_t>(cols), 0.0);
    for (std::int64_t r = 0; r < rows; ++r) {
        for (std::int64_t j = 0; j < cols; ++j) sum[j] += x[r * cols + j];
    }
    for (std::int64_t j = 0; j < cols; ++j) {
        offset[j] = static_cast<float>((1.0 - rate) * offset[j] + rate * sum[j] / static_cast<double>(rows));
    }
}

void centered_gradient(float* gw, float* gb, float* gc, const float* mu, const float* lambda, std::int64_t visible,
                       std::int64_t hidden) {
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < visible; ++i) {
        for (std::int64_t j = 0; j < hidden; ++j) {
            float& w = gw[i * hidden + j];
            w = static_cast<float>(static_cast<double>(w) - static_cast<double>(gb[i]) * lambda[j] -
                                   static_cast<double>(mu[i]) * gc[j]);
        }
    }
    std::vector<double> dc(static_cast<std::size_t>(hidden), 0.0);
    for (std::int64_t i = 0; i < visible; ++i) {
        double db = 0.0;
        for (std::int64_t j = 0; j < hidden; ++j) {
            db += static_cast<double>(gw[i * hidden + j]) * lambda[j];
            dc[j] += static_cast<double>(gw[i * hidden + j]) * mu[i];
        }
        gb[i] = static_cast<float>(gb[i] - db);
    }
    for (std::int64_t j = 0; j < hidden; ++j) gc[j] = static_cast<float>(gc[j] - dc[j]);
}

}  // namespace ebmkit::cpu
