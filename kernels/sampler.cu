// The chain starts and the replay buffer on the device (the draws:
// kernels/sampler_rule.hpp; the bodies: kernels/sampler.cuh). Memory-bound copies and
// Philox draws; a store is a claim (each slot's last row, through atomicMax, so the
// result does not depend on the order threads run) and then the write.
#include <cuda_runtime.h>

#include "kernels/cuda_check.hpp"
#include "kernels/sampler.cuh"
#include "kernels/sampler.hpp"

namespace ebmkit::kernels {

namespace {

__device__ std::uint32_t plus(std::uint32_t v, const std::uint32_t* offset) { return offset ? v + *offset : v; }

__global__ void __launch_bounds__(sampler_threads)
    uniform_rows_kernel(float* out, std::int64_t rows, std::int64_t dim, float lo, float hi, std::uint64_t seed,
                        std::uint32_t first_chain, std::uint32_t step, const std::uint32_t* step_offset) {
    sampler_body::uniform_rows(out, rows, dim, lo, hi, seed, first_chain, plus(step, step_offset));
}

__global__ void __launch_bounds__(sampler_threads)
    replay_draw_kernel(ReplayShape s, const float* buffer, std::int64_t batch, float reinit, std::uint32_t round,
                       const std::uint32_t* round_offset, const std::int32_t* row_classes, float* out,
                       std::int32_t* slots) {
    sampler_body::replay_draw(s, buffer, batch, reinit, plus(round, round_offset), row_classes, out, slots);
}

__global__ void __launch_bounds__(sampler_threads)
    replay_claim_kernel(ReplayShape s, std::int64_t batch, std::uint32_t round, const std::uint32_t* round_offset,
                        const std::int32_t* skip, const std::int32_t* slots, const std::int32_t* row_classes,
                        std::int32_t* targets, int* winners) {
    if (skip && *skip) return;
    sampler_body::replay_claim(s, batch, plus(round, round_offset), slots, row_classes, targets, winners);
}

__global__ void __launch_bounds__(sampler_threads)
    replay_write_kernel(ReplayShape s, float* buffer, std::int64_t batch, const std::int32_t* skip,
                        const std::int32_t* targets, const int* winners, const float* samples) {
    if (skip && *skip) return;
    sampler_body::replay_write(s, buffer, batch, targets, winners, samples);
}

__global__ void __launch_bounds__(sampler_threads)
    draw_classes_kernel(std::uint64_t seed, std::int64_t classes, std::uint32_t round, const std::uint32_t* round_offset,
                        std::int64_t rows, std::int32_t* out, std::uint32_t first_row) {
    sampler_body::draw_classes(seed, classes, plus(round, round_offset), rows, out, first_row);
}

}  // namespace

void UniformRows::run(const Arguments& a, void*, CUstream_st* stream) {
    if (a.rows == 0) return;
    const LaunchShape shape = sampler_quad_shape(a.rows, a.dim);
    uniform_rows_kernel<<<shape.blocks, shape.threads, 0, stream>>>(a.out, a.rows, a.dim, a.lo, a.hi, a.seed,
                                                                     a.first_chain, a.step, a.step_offset);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
}

void ReplayDraw::run(const Arguments& a, void*, CUstream_st* stream) {
    if (a.batch == 0) return;
    const LaunchShape shape = sampler_quad_shape(a.batch, a.shape.dim);
    replay_draw_kernel<<<shape.blocks, shape.threads, 0, stream>>>(a.shape, a.buffer, a.batch, a.reinit, a.round,
                                                                    a.round_offset, a.row_classes, a.out, a.slots);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
}

void ReplayStore::run(const Arguments& a, void* workspace, CUstream_st* stream) {
    const ReplayShape& s = a.shape;
    float* buffer = a.buffer;
    const std::int64_t batch = a.batch;
    const std::uint32_t round = a.round;
    const std::int32_t *slots = a.slots, *row_classes = a.row_classes;
    const float* samples = a.samples;
    int* winners = static_cast<int*>(workspace);
    std::int32_t* targets = winners + s.size;
    if (batch == 0) return;
    // Every byte 0xff: every winner -1.
    EBMKIT_CUDA_CHECK(cudaMemsetAsync(winners, 0xff, sizeof(int) * static_cast<std::size_t>(s.size), stream));
    const LaunchShape claim = sampler_row_shape(batch);
    replay_claim_kernel<<<claim.blocks, claim.threads, 0, stream>>>(s, batch, round, a.round_offset, a.skip, slots,
                                                                     row_classes, targets, winners);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
    const LaunchShape write = sampler_quad_shape(batch, s.dim);
    replay_write_kernel<<<write.blocks, write.threads, 0, stream>>>(s, buffer, batch, a.skip, targets, winners, samples);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
}

void draw_classes(std::uint64_t seed, std::int64_t classes, std::uint32_t round, std::int64_t rows, std::int32_t* out,
                  std::uint32_t first_row, const std::uint32_t* round_offset, CUstream_st* stream) {
    if (rows == 0) return;
    const LaunchShape shape = sampler_row_shape(rows);
    draw_classes_kernel<<<shape.blocks, shape.threads, 0, stream>>>(seed, classes, round, round_offset, rows, out,
                                                                     first_row);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace ebmkit::kernels
