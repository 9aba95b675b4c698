// CPU twin of kernels/centering.cu (the math: kernels/centering.cuh), in double.
#pragma once

#include <cstdint>

namespace ebmkit::cpu {

void centering_offsets(float* offset, const float* x, std::int64_t rows, std::int64_t cols, float rate);
void centered_gradient(float* gw, float* gb, float* gc, const float* mu, const float* lambda, std::int64_t visible,
                       std::int64_t hidden);

}  // namespace ebmkit::cpu
