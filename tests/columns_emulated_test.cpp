// The column-sum kernel bodies (kernels/columns.cuh) on host threads
// (tests/emulation/), over the launcher's launch shapes: one row chunk (pass 1 writes
// the result) and several (partials, then pass 2), partial column tiles, overwrite and
// accumulate, against sums in double.
#include "emulation/block_emulation.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "kernels/columns.cuh"
#include "kernels/columns.hpp"
#include "support.hpp"

namespace ebmkit {
namespace {

namespace body = kernels::columns_body;

// Both passes as kernels/columns.cu launches them.
void emulated_column_sums(const std::vector<float>& x, std::int64_t rows, std::int64_t cols, float scale,
                          bool accumulate, std::vector<float>& out) {
    std::vector<float> partials(kernels::column_sum_partial_floats(rows, cols), std::nanf(""));
    const body::ColumnSums p{x.data(), rows, cols, kernels::column_sum_chunk_rows(rows), scale, accumulate, out.data(),
                             partials.empty() ? nullptr : partials.data()};
    const kernels::LaunchShape first = kernels::column_sum_partial_shape(rows, cols);
    // The kernel's static __shared__ lane sums, as dynamic memory here.
    kernels::LaunchShape with_shared = first;
    with_shared.shared_bytes = kernels::column_sum_threads * 4;
    emulation::run_grid(with_shared, [&](unsigned char* shared) {
        body::partial_sums(p, reinterpret_cast<float*>(shared));
    });
    if (first.blocks_y == 1) return;
    emulation::run_grid(kernels::column_sum_finish_shape(cols), [&](unsigned char*) { body::finish_sums(p, first.blocks_y); });
}

TEST(EmulatedColumnSums, OneAndSeveralRowChunksMatchDoubleSums) {
    auto rng = test::fresh_rng();
    for (const std::int64_t rows : {std::int64_t{1}, std::int64_t{37}, std::int64_t{256}, std::int64_t{257}, std::int64_t{1000}}) {
        for (const std::int64_t cols : {std::int64_t{1}, std::int64_t{10}, std::int64_t{33}, std::int64_t{70}}) {
            for (bool accumulate : {false, true}) {
                const std::vector<float> x = test::uniform_values(rng, static_cast<std::size_t>(rows * cols), -1, 1);
                const std::vector<float> start = test::uniform_values(rng, static_cast<std::size_t>(cols), -1, 1);
                const float scale = -0.25f;
                std::vector<float> out = start;
                emulated_column_sums(x, rows, cols, scale, accumulate, out);
                // Any order of float additions of n terms is within n u sum |x| of the exact sum
                // (u = 2^-24), whatever the chunking; cancellation makes a relative bound unsafe.
                const double u = std::ldexp(1.0, -24);
                for (std::int64_t j = 0; j < cols; ++j) {
                    double s = 0, magnitude = 0;
                    for (std::int64_t r = 0; r < rows; ++r) {
                        s += x[r * cols + j];
                        magnitude += std::abs(x[r * cols + j]);
                    }
                    const double want = (accumulate ? start[j] : 0.0) + scale * s;
                    const double bound = (rows + 2) * u * (std::abs(scale) * magnitude + std::abs(start[j]));
                    ASSERT_NEAR(out[j], want, bound) << rows << "x" << cols << (accumulate ? " accumulate" : " overwrite")
                                                     << ", " << kernels::column_sum_chunks(rows) << " chunks, column " << j;
                }
            }
        }
    }
}

// The chunking is a function of the row count alone and stays inside the grid's y limit.
TEST(EmulatedColumnSums, ChunksDependOnTheRowCountAlone) {
    EXPECT_EQ(kernels::column_sum_chunks(1), 1);
    EXPECT_EQ(kernels::column_sum_chunks(256), 1);
    EXPECT_EQ(kernels::column_sum_chunks(257), 2);
    EXPECT_EQ(kernels::column_sum_chunks(65536), 256);
    EXPECT_EQ(kernels::column_sum_partial_floats(256, 784), 0u);
    EXPECT_EQ(kernels::column_sum_partial_floats(65536, 10), 2560u);
    for (const std::int64_t rows : {std::int64_t{65535} * 256, std::int64_t{65535} * 256 + 1, std::int64_t{1} << 31}) {
        EXPECT_LE(kernels::column_sum_chunks(rows), kernels::column_sum_max_chunks) << rows;
        EXPECT_GE(kernels::column_sum_chunks(rows) * kernels::column_sum_chunk_rows(rows), rows) << rows;
    }
}

}  // namespace
}  // namespace ebmkit
