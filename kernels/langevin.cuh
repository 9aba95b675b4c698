// The bodies of the Langevin and MALA step kernels (kernels/langevin.cu), in a header
// so that tests/langevin_emulated_test.cpp runs them on the host.
//   propose: x' = clamp(x - alpha g + sigma eps), eps from Philox keyed
//            (seed, LangevinNoise, chain, step, element), four normals per Philox call;
//            a thread per (row, block of four elements).
//   clip:    g <- g * min(1, limit / |g|) per row; a warp per row.
//   accept:  MALA, accept with probability min(1, exp((E(x) - E(x')) / T + (|x' - x + alpha g|^2 -
//            |x - x' + alpha g'|^2) / (2 sigma^2))), T = sigma^2 / (2 alpha) (langevin_rule.hpp),
//            uniform keyed (seed, MalaAccept, chain,
//            step, 0); a proposal that left the clamp box is rejected; a warp per row, which
//            also copies the accepted row.
#pragma once

#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>

#include "kernels/langevin.hpp"
#include "ebmkit/detail/langevin_rule.hpp"
#include "kernels/philox_device.cuh"
#include "kernels/warp_reduce.cuh"

namespace ebmkit::kernels::langevin_body {

__device__ void propose(const float* x, const float* __restrict__ grad, std::int64_t rows, std::int64_t d,
                        LangevinStep s, float* out, int* __restrict__ outside, const std::uint32_t* step_offset) {
    const std::int64_t blocks_per_row = (d + 3) / 4;
    const std::int64_t t = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (t >= rows * blocks_per_row) return;
    const std::int64_t r = t / blocks_per_row;
    const auto b = static_cast<std::uint32_t>(t % blocks_per_row);
    float eps[4];
    const std::uint32_t step = s.step + (step_offset ? *step_offset : 0u);
    normal4(philox_block(s.seed, RngPurpose::LangevinNoise, s.first_chain + static_cast<std::uint32_t>(r), step, b), eps);
    bool left = false;
    for (int j = 0; j < 4; ++j) {
        const std::int64_t i = r * d + b * 4 + j;
        if (b * 4 + j >= d) break;
        const float v = langevin_proposal(x[i], grad[i], s.alpha, s.sigma, eps[j]);
        out[i] = s.clamp ? clamp_to_box(v, s.lo, s.hi, left) : v;
    }
    // Several threads share a row: an atomic, so that concurrent flags are no data race.
    if (left && outside) atomicOr(outside + r, 1);
}

__device__ void clip(float* __restrict__ grad, std::int64_t rows, std::int64_t d, float limit) {
    const std::int64_t r = (static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
    const int lane = threadIdx.x % 32;
    if (r >= rows) return;
    float sq = 0.0f;
    for (std::int64_t i = lane; i < d; i += 32) sq += grad[r * d + i] * grad[r * d + i];
    const float norm = sqrtf(warp_sum(sq));
    if (norm <= limit) return;
    const float scale = limit / norm;
    for (std::int64_t i = lane; i < d; i += 32) grad[r * d + i] *= scale;
}

__device__ void accept(float* __restrict__ x, float* __restrict__ grad, float* __restrict__ energy,
                       const float* __restrict__ proposal, const float* __restrict__ proposal_grad,
                       const float* __restrict__ proposal_energy, const int* __restrict__ outside, std::int64_t rows,
                       std::int64_t d, LangevinStep s, unsigned long long* __restrict__ accepted) {
    const std::int64_t r = (static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
    const int lane = threadIdx.x % 32;
    if (r >= rows) return;
    if (outside[r]) return;  // the target has no mass outside the box
    // Both energies are read before the shuffles: lane 0 overwrites energy[r] below, and
    // a lane still reading it after that write would decide differently from its warp.
    const float e_current = energy[r], e_proposal = proposal_energy[r];
    float forward = 0.0f, backward = 0.0f;
    for (std::int64_t i = lane; i < d; i += 32) {
        const std::int64_t k = r * d + i;
        add_mala_terms(x[k], proposal[k], grad[k], proposal_grad[k], s.alpha, forward, backward);
    }
    forward = warp_sum(forward);
    backward = warp_sum(backward);
    const float log_ratio = mala_log_ratio(e_current, e_proposal, forward, backward, s.alpha, s.sigma);
    float u[4];
    uniform4(philox_block(s.seed, RngPurpose::MalaAccept, s.first_chain + static_cast<std::uint32_t>(r), s.step, 0), u);
    if (!(logf(u[0]) <= log_ratio)) return;
    for (std::int64_t i = lane; i < d; i += 32) {
        x[r * d + i] = proposal[r * d + i];
        grad[r * d + i] = proposal_grad[r * d + i];
    }
    if (lane == 0) {
        energy[r] = e_proposal;
        atomicAdd(accepted, 1ull);
    }
}

}  // namespace ebmkit::kernels::langevin_body
