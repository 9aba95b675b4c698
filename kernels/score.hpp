// Launchers of kernels/score.cu: the score family's draws and Tweedie's step. Plain C++:
// host/ includes this without CUDA headers.
#pragma once

#include <cstdint>

#include "kernels/launch_shape.hpp"

struct CUstream_st;

namespace ebmkit::kernels {

inline constexpr int score_threads = 256;

// A thread per (row, four values) of a [rows, d] draw.
inline LaunchShape score_draw_shape(std::int64_t rows, std::int64_t d) {
    return one_per_thread(rows * ((d + 3) / 4), score_threads, "score draws");
}

// sigma [rows] = sigmas[level] and noise [rows, d] (kernels/score_rule.hpp), sigmas on the device.
void score_perturbation(std::uint64_t seed, const float* sigmas, int levels, std::int64_t rows, std::int64_t d,
                        std::uint32_t step, std::uint32_t first_row, float* sigma, float* noise, CUstream_st* stream);
// v [rows, d]: normals or signs.
void score_projections(std::uint64_t seed, bool gaussian, std::int64_t rows, std::int64_t d, std::uint32_t step,
                       std::uint32_t first_row, float* v, CUstream_st* stream);
// x[i] -= k g[i] for i < n (grid-stride).
void scaled_subtract(float* x, const float* g, std::int64_t n, float k, CUstream_st* stream);

}  // namespace ebmkit::kernels
