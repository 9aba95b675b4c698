// The score family's draws (kernels/score_rule.hpp's rule, a thread per four values of a
// row) and Tweedie's step x -= k grad_x E.
#include <cuda_runtime.h>

#include "kernels/cuda_check.hpp"
#include "kernels/grid_stride.cuh"
#include "kernels/launch.cuh"
#include "kernels/score.hpp"
#include "kernels/score_rule.hpp"

namespace ebmkit::kernels {

namespace {

__global__ void perturbation(PhiloxKey key, const float* sigmas, int levels, std::int64_t rows, std::int64_t d,
                             std::uint32_t step, std::uint32_t first_row, float* sigma, float* noise) {
    const std::int64_t quads = (d + 3) / 4, item = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (item >= rows * quads) return;
    const std::int64_t r = item / quads, q = item % quads;
    const auto chain = static_cast<std::uint32_t>(first_row + r);
    if (q == 0) sigma[r] = sigmas[score_level(key, levels, chain, step)];
    float z[4];
    score_noise4(key, chain, step, static_cast<std::uint32_t>(q), z);
    for (int j = 0; j < 4 && 4 * q + j < d; ++j) noise[r * d + 4 * q + j] = z[j];
}

__global__ void projections(PhiloxKey key, bool gaussian, std::int64_t rows, std::int64_t d, std::uint32_t step,
                            std::uint32_t first_row, float* v) {
    const std::int64_t quads = (d + 3) / 4, item = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (item >= rows * quads) return;
    const std::int64_t r = item / quads, q = item % quads;
    float z[4];
    score_projection4(key, gaussian, static_cast<std::uint32_t>(first_row + r), step, static_cast<std::uint32_t>(q), z);
    for (int j = 0; j < 4 && 4 * q + j < d; ++j) v[r * d + 4 * q + j] = z[j];
}

__global__ void subtract(float* x, const float* g, std::int64_t n, float k) {
    for (std::int64_t i = first_item(); i < n; i += item_stride()) {
        x[i] -= k * g[i];
    }
}

}  // namespace

void score_perturbation(std::uint64_t seed, const float* sigmas, int levels, std::int64_t rows, std::int64_t d,
                        std::uint32_t step, std::uint32_t first_row, float* sigma, float* noise, CUstream_st* stream) {
    if (rows == 0) return;
    launch_planned(perturbation, score_draw_shape(rows, d), stream, philox_key(seed), sigmas, levels, rows, d, step,
                   first_row, sigma, noise);
}

void score_projections(std::uint64_t seed, bool gaussian, std::int64_t rows, std::int64_t d, std::uint32_t step,
                       std::uint32_t first_row, float* v, CUstream_st* stream) {
    if (rows == 0) return;
    launch_planned(projections, score_draw_shape(rows, d), stream, philox_key(seed), gaussian, rows, d, step,
                   first_row, v);
}

void scaled_subtract(float* x, const float* g, std::int64_t n, float k, CUstream_st* stream) {
    if (n == 0) return;
    launch_planned(subtract, grid_stride(n, score_threads, score_threads, device_limits()), stream, x, g, n, k);
}

}  // namespace ebmkit::kernels
