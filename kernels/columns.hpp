// Launcher of kernels/columns.cu and its launch shapes. Plain C++: host/ includes this
// without CUDA headers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/launch_shape.hpp"

struct CUstream_st;

namespace ebmkit::kernels {

// Pass 1 blocks: 32 columns x 8 row lanes, over a chunk of rows.
inline constexpr int column_sum_threads = 256, column_sum_tile_cols = 32, column_sum_lanes = 8;
inline constexpr std::int64_t column_sum_min_chunk_rows = 256, column_sum_max_chunks = 65535;

// Rows per chunk: 256, or more when 256-row chunks would exceed the grid's y limit. A
// function of the row count alone, so the summation order (and so every bit of the
// result) is the same on every GPU.
inline std::int64_t column_sum_chunk_rows(std::int64_t rows) {
    const std::int64_t least = (rows + column_sum_max_chunks - 1) / column_sum_max_chunks;
    return least > column_sum_min_chunk_rows ? least : column_sum_min_chunk_rows;
}
inline std::int64_t column_sum_chunks(std::int64_t rows) {
    const std::int64_t chunk = column_sum_chunk_rows(rows);
    return rows == 0 ? 1 : (rows + chunk - 1) / chunk;
}
// The scratch the two-pass sums need: [chunks, cols] floats, none with a single chunk.
inline std::size_t column_sum_partial_floats(std::int64_t rows, std::int64_t cols) {
    const std::int64_t chunks = column_sum_chunks(rows);
    return chunks == 1 ? 0 : static_cast<std::size_t>(chunks * cols);
}
// Pass 1: a block per (32-column tile, row chunk).
inline LaunchShape column_sum_partial_shape(std::int64_t rows, std::int64_t cols) {
    LaunchShape s = one_per_thread(cols, column_sum_tile_cols, "column sums");
    s.threads = column_sum_threads;
    s.blocks_y = static_cast<unsigned>(column_sum_chunks(rows));
    return s;
}
// Pass 2 (several chunks): a thread per column.
inline LaunchShape column_sum_finish_shape(std::int64_t cols) {
    return one_per_thread(cols, column_sum_threads, "column sums");
}

// out[j] = (accumulate ? out[j] : 0) + scale * sum_r x[r, j], x [rows, cols]; partials
// holds column_sum_partial_floats(rows, cols) floats of scratch (null when that is 0).
// Deterministic: the same bits on every run and every GPU.
void scaled_column_sums(const float* x, std::int64_t rows, std::int64_t cols, float scale, bool accumulate, float* out,
                        float* partials, CUstream_st* stream);

}  // namespace ebmkit::kernels
