// The Langevin-step and MALA kernel bodies (kernels/langevin.cuh) on host threads
// (tests/emulation/), over the launcher's launch shapes, against an independent
// rewrite of the update in double with the host Philox (ebmkit/philox.hpp): the
// proposal with its noise keys and clamp box, the out-of-box flags, the offset step
// counter of a graphed chain, gradient clipping, and MALA's accept / reject.
#include "emulation/block_emulation.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "kernels/langevin.cuh"
#include "kernels/langevin.hpp"
#include "support.hpp"

namespace ebmkit {
namespace {

namespace body = kernels::langevin_body;

kernels::LangevinStep random_step(std::mt19937_64& rng, bool clamp) {
    return {0.05f, 0.3f, clamp, -1.0f, 1.0f, rng(), 11, 6};
}

// x' = clamp(x - alpha g + sigma eps), eps keyed (seed, LangevinNoise, first_chain + r, step, i).
TEST(EmulatedLangevinStep, ProposalMatchesTheUpdateWithTheSameNoise) {
    auto rng = test::fresh_rng();
    for (const std::int64_t d : {std::int64_t{1}, std::int64_t{7}, std::int64_t{64}}) {
        for (bool clamp : {false, true}) {
            for (bool offset : {false, true}) {
                const std::int64_t rows = 37;
                const kernels::LangevinStep s = random_step(rng, clamp);
                std::vector<float> x = test::uniform_values(rng, static_cast<std::size_t>(rows * d), -1, 1);
                std::vector<float> g = test::uniform_values(rng, x.size(), -10, 10);
                // Row 0 is driven out of the box (x' = 3 + 0.3 eps), so the flag is always exercised:
                // with d = 1 the 37 random rows all stayed inside about one seed in a thousand.
                x[0] = 1.0f;
                g[0] = -40.0f;
                const std::uint32_t step_offset = 5;
                std::vector<float> out(x.size(), std::nanf(""));
                std::vector<int> outside(static_cast<std::size_t>(rows), 0);
                const kernels::LaunchShape shape = kernels::langevin_propose_shape(rows, d);
                emulation::run_grid(shape, [&](unsigned char*) {
                    body::propose(x.data(), g.data(), rows, d, s, out.data(), outside.data(), offset ? &step_offset : nullptr);
                });
                const std::uint32_t step = s.step + (offset ? step_offset : 0);
                const std::string what = "d " + std::to_string(d) + (clamp ? " clamped" : "") + (offset ? " offset" : "");
                int left_rows = 0;
                for (std::int64_t r = 0; r < rows; ++r) {
                    bool left = false;
                    for (std::int64_t i = 0; i < d; ++i) {
                        const double eps = philox_normal(s.seed, RngPurpose::LangevinNoise, s.first_chain + std::uint32_t(r),
                                                         step, static_cast<std::uint32_t>(i));
                        double v = x[r * d + i] - double(s.alpha) * g[r * d + i] + double(s.sigma) * eps;
                        if (clamp) {
                            left |= v < s.lo || v > s.hi;
                            v = std::min<double>(std::max<double>(v, s.lo), s.hi);
                        }
                        ASSERT_NEAR(out[r * d + i], v, 1e-5) << what << " row " << r << " element " << i;
                    }
                    EXPECT_EQ(outside[r], clamp && left ? 1 : 0) << what << " row " << r;
                    left_rows += left;
                }
                if (clamp) EXPECT_GT(left_rows, 0) << what << ": no row left the box, the flag went untested";
            }
        }
    }
}

// Rows above the limit are scaled to norm `limit`, rows below it are untouched.
TEST(EmulatedLangevinStep, ClippingScalesOnlyTheRowsAboveTheLimit) {
    auto rng = test::fresh_rng();
    const std::int64_t rows = 21, d = 70;
    const float limit = 3.0f;
    std::vector<float> g = test::uniform_values(rng, static_cast<std::size_t>(rows * d), -1, 1);
    for (std::int64_t r = 0; r < rows; r += 2) {
        for (std::int64_t i = 0; i < d; ++i) g[r * d + i] *= 0.05f;  // even rows under the limit
    }
    const std::vector<float> before = g;
    emulation::run_grid(kernels::langevin_row_shape(rows), [&](unsigned char*) { body::clip(g.data(), rows, d, limit); });
    for (std::int64_t r = 0; r < rows; ++r) {
        double norm = 0;
        for (std::int64_t i = 0; i < d; ++i) norm += double(before[r * d + i]) * before[r * d + i];
        norm = std::sqrt(norm);
        const double scale = norm > limit ? limit / norm : 1.0;
        ASSERT_EQ(r % 2 == 0, scale == 1.0) << "row " << r;
        for (std::int64_t i = 0; i < d; ++i) ASSERT_NEAR(g[r * d + i], before[r * d + i] * scale, 1e-6) << "row " << r;
    }
}

// Accept when log u <= (E(x) - E(x')) / T + (|x' - x + alpha g|^2 - |x - x' + alpha g'|^2) / (2 sigma^2),
// T = sigma^2 / (2 alpha),
// u keyed (seed, MalaAccept, first_chain + r, step, 0); rows flagged outside are rejected.
TEST(EmulatedLangevinStep, MalaAcceptsByTheMetropolisHastingsRatio) {
    auto rng = test::fresh_rng();
    const std::int64_t rows = 64, d = 9;
    kernels::LangevinStep s = random_step(rng, true);
    s.sigma = 1.0f;
    std::vector<float> x = test::uniform_values(rng, static_cast<std::size_t>(rows * d), -1, 1);
    std::vector<float> g = test::uniform_values(rng, x.size(), -1, 1);
    std::vector<float> energy = test::uniform_values(rng, static_cast<std::size_t>(rows), -2, 2);
    const std::vector<float> px = test::uniform_values(rng, x.size(), -1, 1);
    const std::vector<float> pg = test::uniform_values(rng, x.size(), -1, 1);
    const std::vector<float> pe = test::uniform_values(rng, energy.size(), -2, 2);
    std::vector<int> outside(static_cast<std::size_t>(rows), 0);
    for (std::int64_t r = 0; r < rows; r += 9) outside[r] = 1;
    const std::vector<float> x0 = x, g0 = g, e0 = energy;
    unsigned long long accepted = 0;
    emulation::run_grid(kernels::langevin_row_shape(rows), [&](unsigned char*) {
        body::accept(x.data(), g.data(), energy.data(), px.data(), pg.data(), pe.data(), outside.data(), rows, d, s,
                     &accepted);
    });
    unsigned long long want = 0;
    int decided = 0;
    for (std::int64_t r = 0; r < rows; ++r) {
        double forward = 0, backward = 0;
        for (std::int64_t i = 0; i < d; ++i) {
            const double a = double(px[r * d + i]) - x0[r * d + i] + double(s.alpha) * g0[r * d + i];
            const double b = double(x0[r * d + i]) - px[r * d + i] + double(s.alpha) * pg[r * d + i];
            forward += a * a;
            backward += b * b;
        }
        // The target exp(-E / T), T = sigma^2 / (2 alpha).
        const double temperature = double(s.sigma) * s.sigma / (2.0 * s.alpha);
        const double log_ratio = (double(e0[r]) - pe[r]) / temperature + (forward - backward) / (2.0 * s.sigma * s.sigma);
        const double log_u = std::log(double(philox_uniform(s.seed, RngPurpose::MalaAccept, s.first_chain + std::uint32_t(r), s.step, 0)));
        if (std::abs(log_u - log_ratio) < 1e-4) continue;  // within float rounding of the threshold: either is right
        ++decided;
        const bool accept = !outside[r] && log_u <= log_ratio;
        want += accept;
        for (std::int64_t i = 0; i < d; ++i) {
            ASSERT_EQ(x[r * d + i], accept ? px[r * d + i] : x0[r * d + i]) << "row " << r;
            ASSERT_EQ(g[r * d + i], accept ? pg[r * d + i] : g0[r * d + i]) << "row " << r;
        }
        ASSERT_EQ(energy[r], accept ? pe[r] : e0[r]) << "row " << r;
    }
    EXPECT_GE(decided, rows - 2);
    if (decided == rows) {
        EXPECT_EQ(accepted, want);
    }
    EXPECT_GT(want, 0u);
    EXPECT_LT(want, static_cast<unsigned long long>(decided));
}

}  // namespace
}  // namespace ebmkit
