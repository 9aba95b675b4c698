// The bodies of the sampler kernels (kernels/sampler.cu), in a header so that
// tests/sampler_emulated_test.cpp runs them on the host. The draws themselves are
// kernels/sampler_rule.hpp's, shared with the CPU path. Every kernel but
// replay_claim takes a thread per (row, block of four elements); replay_claim and
// draw_classes a thread per row.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/sampler_rule.hpp"

namespace ebmkit::kernels::sampler_body {

__device__ inline std::int64_t thread_item() {
    return static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}

// out [rows, dim]: row r is chain first_chain + r's U(lo, hi) draw at step.
__device__ inline void uniform_rows(float* out, std::int64_t rows, std::int64_t dim, float lo, float hi,
                                    std::uint64_t seed, std::uint32_t first_chain, std::uint32_t step) {
    const std::int64_t quads = (dim + 3) / 4, item = thread_item();
    if (item >= rows * quads) return;
    const std::int64_t r = item / quads;
    uniform_row_quad(out + r * dim, dim, item % quads, lo, hi, philox_key(seed),
                     first_chain + static_cast<std::uint32_t>(r), step);
}

// out [batch, dim] from buffer [size, dim]: a fresh row is chain b's uniform draw at
// step round + 1, any other the copy of its slot; slots[b] = that slot, or -1 when fresh.
// row_classes (nullable: one class) picks each row's segment.
__device__ inline void replay_draw(const ReplayShape& s, const float* __restrict__ buffer, std::int64_t batch,
                                   float reinit, std::uint32_t round, const std::int32_t* __restrict__ row_classes,
                                   float* __restrict__ out, std::int32_t* __restrict__ slots) {
    const std::int64_t quads = (s.dim + 3) / 4, item = thread_item();
    if (item >= batch * quads) return;
    const std::int64_t b = item / quads, q = item % quads;
    float* row = out + b * s.dim;
    if (replay_fresh(s, reinit, round, b)) {
        if (q == 0) slots[b] = -1;
        uniform_row_quad(row, s.dim, q, s.lo, s.hi, philox_key(s.seed), s.first_row + static_cast<std::uint32_t>(b),
                         round + 1);
        return;
    }
    const std::int64_t slot = replay_slot(s, round, b, row_classes ? row_classes[b] : 0);
    if (q == 0) slots[b] = static_cast<std::int32_t>(slot);
    for (std::int64_t i = 4 * q; i < 4 * q + 4 && i < s.dim; ++i) row[i] = buffer[slot * s.dim + i];
}

// The first half of a store: targets[b] = the slot row b goes back to, and winners[slot]
// (all -1 before) = the last row of the batch that goes back to it.
__device__ inline void replay_claim(const ReplayShape& s, std::int64_t batch, std::uint32_t round,
                                    const std::int32_t* __restrict__ slots, const std::int32_t* __restrict__ row_classes,
                                    std::int32_t* __restrict__ targets, int* __restrict__ winners) {
    const std::int64_t b = thread_item();
    if (b >= batch) return;
    const std::int64_t target = slots[b] >= 0 ? slots[b] : replay_slot(s, round, b, row_classes ? row_classes[b] : 0);
    targets[b] = static_cast<std::int32_t>(target);
    atomicMax(winners + target, static_cast<int>(b));
}

// The second half: each slot receives the row that won it.
__device__ inline void replay_write(const ReplayShape& s, float* __restrict__ buffer, std::int64_t batch,
                                    const std::int32_t* __restrict__ targets, const int* __restrict__ winners,
                                    const float* __restrict__ samples) {
    const std::int64_t quads = (s.dim + 3) / 4, item = thread_item();
    if (item >= batch * quads) return;
    const std::int64_t b = item / quads, q = item % quads, slot = targets[b];
    if (winners[slot] != b) return;
    for (std::int64_t i = 4 * q; i < 4 * q + 4 && i < s.dim; ++i) buffer[slot * s.dim + i] = samples[b * s.dim + i];
}

// out [rows]: row r's class drawn uniformly from [0, classes) in round, as global row first_row + r.
__device__ inline void draw_classes(std::uint64_t seed, std::int64_t classes, std::uint32_t round, std::int64_t rows,
                                    std::int32_t* __restrict__ out, std::uint32_t first_row) {
    const std::int64_t r = thread_item();
    if (r < rows) out[r] = drawn_class(seed, classes, round, first_row + static_cast<std::uint32_t>(r));
}

}  // namespace ebmkit::kernels::sampler_body
