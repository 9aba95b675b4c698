// The LogSumExp kernel bodies (kernels/logsumexp.cuh) on host threads
// (tests/emulation/), over the launch shapes the launcher computes for an H100 and for
// a small GPU: every lanes-per-row strategy, the block-per-row path, float4 and
// scalar loads, several grid-stride passes, and the special values of docs/ARCHITECTURE.md §1, against
// the CPU reference (double accumulation).
#include "emulation/block_emulation.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "host/cpu/logsumexp.hpp"
#include "kernels/logsumexp.cuh"
#include "kernels/logsumexp.hpp"
#include "support.hpp"

namespace ebmkit {
namespace {

namespace body = kernels::logsumexp_body;
using kernels::DeviceLimits;

void emulated_forward(const std::vector<float>& x, std::int64_t rows, std::int64_t cols, bool vec4,
                      const DeviceLimits& limits, std::vector<float>& out) {
    const kernels::LogSumExpPlan plan = kernels::logsumexp_forward_plan(rows, cols, vec4, limits);
    auto run = [&](auto vec) {
        constexpr bool V = decltype(vec)::value;
        if (plan.lanes == 0) {
            body::BlockReduceLse<kernels::logsumexp_block_threads>::TempStorage storage;
            emulation::run_grid(plan.shape, [&](unsigned char*) {
                body::rows_block<kernels::logsumexp_block_threads, V>(x.data(), out.data(), rows, cols, storage);
            });
            return;
        }
        body::with_lanes(plan.lanes, [&](auto lanes) {
            emulation::run_grid(plan.shape, [&](unsigned char*) {
                body::rows_lanes<decltype(lanes)::value, V>(x.data(), out.data(), rows, cols);
            });
        });
    };
    if (vec4) run(std::true_type{});
    else run(std::false_type{});
}

struct Case {
    std::int64_t rows, cols;
    int scalar_lanes, vec4_lanes;  // the strategy the plan must pick (0: a block per row)
};

// Every strategy; rows for at least two grid-stride passes of the scalar kernel on the
// small GPU (16 blocks of 128 / lanes rows each).
const Case cases[] = {{2053, 1, 1, 0},  {1029, 8, 2, 1},  {517, 9, 4, 0},  {133, 40, 16, 4}, {69, 100, 32, 8},
                      {69, 256, 32, 16}, {69, 1000, 32, 32}, {19, 1027, 0, 0}, {19, 4096, 0, 0}};

std::string where(const Case& c, bool vec4, const DeviceLimits& limits) {
    return std::to_string(c.rows) + "x" + std::to_string(c.cols) + (vec4 ? " float4" : " scalar") + " on " +
           std::to_string(limits.multiprocessors) + " SMs";
}

TEST(EmulatedLogSumExp, EveryStrategyMatchesTheCpuReference) {
    auto rng = test::fresh_rng();
    for (const DeviceLimits& limits : {emulation::h100, emulation::small_gpu}) {
        for (const Case& c : cases) {
            for (bool vec4 : {false, true}) {
                if (vec4 && c.cols % 4 != 0) continue;
                const auto plan = kernels::logsumexp_forward_plan(c.rows, c.cols, vec4, limits);
                ASSERT_EQ(plan.lanes, vec4 ? c.vec4_lanes : c.scalar_lanes) << where(c, vec4, limits);
                const std::vector<float> x = test::uniform_values(rng, static_cast<std::size_t>(c.rows * c.cols), -20, 20);
                std::vector<float> out(static_cast<std::size_t>(c.rows), std::nanf("")), ref(out.size());
                emulated_forward(x, c.rows, c.cols, vec4, limits, out);
                cpu::logsumexp(x.data(), c.rows, c.cols, ref.data());
                for (std::int64_t r = 0; r < c.rows; ++r) {
                    ASSERT_NEAR(out[r], ref[r], 2e-6 * (1 + std::abs(ref[r]))) << where(c, vec4, limits) << " row " << r;
                }
            }
        }
    }
}

// Rows of all -inf give -inf, a +inf gives +inf, a NaN gives NaN, -inf entries among
// finite ones count for nothing: on the lanes and the block paths alike.
TEST(EmulatedLogSumExp, SpecialValuesFollowTheContract) {
    const float inf = std::numeric_limits<float>::infinity(), nan = std::nanf("");
    for (const std::int64_t cols : {std::int64_t{12}, std::int64_t{2048}}) {
        const std::int64_t rows = 5;
        std::vector<float> x(static_cast<std::size_t>(rows * cols), 0.5f);
        for (std::int64_t k = 0; k < cols; ++k) x[k] = -inf;           // row 0: all -inf
        x[1 * cols + cols / 2] = inf;                                  // row 1: one +inf
        x[2 * cols + cols - 1] = nan;                                  // row 2: one NaN
        for (std::int64_t k = 0; k < cols; k += 2) x[3 * cols + k] = -inf;  // row 3: half -inf
        x[4 * cols] = inf;                                             // row 4: +inf and NaN
        x[4 * cols + 1] = nan;
        for (bool vec4 : {false, true}) {
            std::vector<float> out(static_cast<std::size_t>(rows), 0.0f);
            emulated_forward(x, rows, cols, vec4, emulation::small_gpu, out);
            const std::string what = std::to_string(cols) + (vec4 ? " float4" : " scalar");
            EXPECT_EQ(out[0], -inf) << what;
            EXPECT_EQ(out[1], inf) << what;
            EXPECT_TRUE(std::isnan(out[2])) << what;
            EXPECT_NEAR(out[3], 0.5 + std::log(cols / 2.0), 1e-5) << what;
            EXPECT_TRUE(std::isnan(out[4])) << what;
        }
    }
}

// dx = dlse * exp(x - lse), 0 on a row of all -inf, written over x in place too.
TEST(EmulatedLogSumExp, BackwardMatchesTheCpuReference) {
    auto rng = test::fresh_rng();
    const float inf = std::numeric_limits<float>::infinity();
    for (const DeviceLimits& limits : {emulation::h100, emulation::small_gpu}) {
        for (const auto& [rows, cols] : {std::pair<std::int64_t, std::int64_t>{37, 10}, {61, 512}, {3, 9}}) {
            std::vector<float> x = test::uniform_values(rng, static_cast<std::size_t>(rows * cols), -5, 5);
            for (std::int64_t k = 0; k < cols; ++k) x[k] = -inf;
            std::vector<float> lse(static_cast<std::size_t>(rows)), ref(x.size());
            cpu::logsumexp(x.data(), rows, cols, lse.data());
            const std::vector<float> dlse = test::uniform_values(rng, lse.size(), -2, 2);
            cpu::logsumexp_backward(x.data(), lse.data(), dlse.data(), ref.data(), rows, cols);
            for (bool vec4 : {false, true}) {
                if (vec4 && cols % 4 != 0) continue;
                std::vector<float> dx = x;  // in place: dx may be x
                const kernels::LaunchShape shape = kernels::logsumexp_backward_shape(rows, cols, vec4, limits);
                emulation::run_grid(shape, [&](unsigned char*) {
                    if (vec4) body::backward_elements<true>(dx.data(), lse.data(), dlse.data(), dx.data(), rows, cols);
                    else body::backward_elements<false>(dx.data(), lse.data(), dlse.data(), dx.data(), rows, cols);
                });
                EXPECT_LT(test::relative_error(dx, ref), 1e-6) << rows << "x" << cols << (vec4 ? " float4" : " scalar");
                for (std::int64_t k = 0; k < cols; ++k) EXPECT_EQ(dx[k], 0.0f) << "all -inf row, column " << k;
            }
        }
    }
}

}  // namespace
}  // namespace ebmkit
