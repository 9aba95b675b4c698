// The JEM head's kernel bodies (kernels/jem.cuh) on host threads (tests/emulation/),
// over their launch shapes (a warp per row; one block for the sums): the head against an independent
// rewrite in double (tests/jem_reference.hpp), with rows wider than a warp and a bad
// label, and the batch sums against sums in double. (The head as the fused kernel's
// epilogue: tests/emulated_block_test.cpp.)
#include "emulation/block_emulation.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "jem_reference.hpp"
#include "kernels/jem.cuh"
#include "kernels/jem.hpp"
#include "support.hpp"

namespace ebmkit {
namespace {

using kernels::JemBatchSums;
using kernels::JemHeadWeights;
using kernels::JemRowTerms;

TEST(EmulatedJem, HeadMatchesItsDoubleRewriteForDataAndSampleRows) {
    auto rng = test::fresh_rng();
    const double cw = 1.0, gw = 0.7, l2 = 0.1;
    {
        for (int k : {10, 37}) {
            for (bool data : {true, false}) {
                const std::int64_t rows = 45;
                const std::vector<float> logits = test::uniform_values(rng, rows * k, -4, 4);
                std::vector<std::int32_t> labels(rows);
                for (auto& y : labels) y = static_cast<std::int32_t>(rng() % k);
                labels[7] = k;   // a bad label
                labels[30] = -1;  // another
                const JemHeadWeights w{float(cw), float(gw), float(l2), 1.0f / rows, data};
                std::vector<float> dlogits(rows * k, 1e30f);
                std::vector<JemRowTerms> terms(rows, JemRowTerms{1e30f, 1e30f, 7, 7});
                emulation::run_grid(kernels::jem_head_shape(rows), [&](unsigned char*) {
                    kernels::jem_body::jem_head(logits.data(), data ? labels.data() : nullptr, rows, k, w, dlogits.data(),
                                                terms.data());
                });
                std::vector<double> want;
                const std::string what = "k " + std::to_string(k) + (data ? " data" : " samples");
                for (std::int64_t r = 0; r < rows; ++r) {
                    const test::JemRowReference ref =
                        test::jem_row_reference(logits.data() + r * k, k, data ? labels[r] : -1, data, cw, gw, l2, 1.0 / rows);
                    want.insert(want.end(), ref.dlogits.begin(), ref.dlogits.end());
                    EXPECT_NEAR(terms[r].energy, ref.energy, 1e-5 * (1 + std::abs(ref.energy))) << what << " row " << r;
                    EXPECT_NEAR(terms[r].cross_entropy, ref.cross_entropy, 1e-5 * (1 + ref.cross_entropy)) << what << " row " << r;
                    EXPECT_EQ(terms[r].correct, ref.correct ? 1 : 0) << what << " row " << r;
                    EXPECT_EQ(terms[r].bad_label, ref.bad_label ? 1 : 0) << what << " row " << r;
                }
                EXPECT_LT(test::relative_error(dlogits, want), 1e-5) << what;
            }
        }
    }
}

TEST(EmulatedJem, BatchSumsAreTheRowsSumsInDoubleWithTheFirstBadLabel) {
    auto rng = test::fresh_rng();
    for (std::int64_t n : {1, 64, 1000}) {
        const std::int64_t m = n == 1 ? 0 : n / 2 + 3;
        std::vector<JemRowTerms> data(n), samples(std::max<std::int64_t>(m, 1));
        double ce = 0, ed = 0, ed2 = 0, correct = 0, es = 0, es2 = 0;
        for (std::int64_t r = 0; r < n; ++r) {
            data[r] = {test::uniform_values(rng, 1, 0, 3)[0], test::uniform_values(rng, 1, -5, 5)[0],
                       static_cast<std::int32_t>(rng() % 2), 0};
            ce += data[r].cross_entropy;
            ed += data[r].energy;
            ed2 += double(data[r].energy) * data[r].energy;
            correct += data[r].correct;
        }
        for (std::int64_t r = 0; r < m; ++r) {
            samples[r] = {0, test::uniform_values(rng, 1, -5, 5)[0], 0, 0};
            es += samples[r].energy;
            es2 += double(samples[r].energy) * samples[r].energy;
        }
        std::int64_t first_bad = -1;
        if (n > 1) {
            data[n - 1].bad_label = data[n / 3].bad_label = 1;
            first_bad = n / 3;
        }
        JemBatchSums out{};
        const kernels::JemGuard guard{1.0, 1.0, 0.0, 1e30};
        emulation::run_grid(kernels::LaunchShape{1, kernels::jem_threads, 0}, [&](unsigned char*) {
            kernels::jem_body::jem_batch_sums<kernels::jem_threads>(data.data(), n, samples.data(), m, &out, guard);
        });
        const std::string what = "n " + std::to_string(n);
        EXPECT_NEAR(out.cross_entropy, ce, 1e-9 * (1 + ce)) << what;
        EXPECT_NEAR(out.energy_data, ed, 1e-9 * (1 + std::abs(ed)) + 1e-9) << what;
        EXPECT_NEAR(out.energy_data_sq, ed2, 1e-9 * (1 + ed2)) << what;
        EXPECT_EQ(out.correct, correct) << what;
        EXPECT_NEAR(out.energy_sample, es, 1e-9 * (1 + std::abs(es)) + 1e-9) << what;
        EXPECT_NEAR(out.energy_sample_sq, es2, 1e-9 * (1 + es2)) << what;
        EXPECT_EQ(out.first_bad_label, first_bad) << what;
        EXPECT_EQ(out.skip, first_bad >= 0 ? 1 : 0) << what;  // a bad label; the gap's bound is huge
    }
}

// The verdict a replayed JEM iteration gates its store and step on (host/jem.cpp): the
// guard of JemTrainOptions, on the batch's means, computed where the sums are.
TEST(EmulatedJem, BatchSumsSkipABadLabelANonFiniteLossAndAWideEnergyGap) {
    auto rng = test::fresh_rng();
    const std::int64_t n = 64, m = 48;
    std::vector<JemRowTerms> data(n), samples(m);
    double ed = 0, es = 0;
    for (auto& r : data) {
        r = {test::uniform_values(rng, 1, 0, 3)[0], test::uniform_values(rng, 1, -5, 5)[0], 0, 0};
        ed += r.energy;
    }
    for (auto& r : samples) {
        r = {0, test::uniform_values(rng, 1, 5, 10)[0], 0, 0};
        es += r.energy;
    }
    const double gap = std::abs(ed / n - es / m);  // at least 5 less the data's spread
    auto skip = [&](double max_gap) {
        JemBatchSums out{};
        emulation::run_grid(kernels::LaunchShape{1, kernels::jem_threads, 0}, [&](unsigned char*) {
            kernels::jem_body::jem_batch_sums<kernels::jem_threads>(data.data(), n, samples.data(), m, &out,
                                                                    kernels::JemGuard{1.0, 1.0, 0.1, max_gap});
        });
        return out.skip;
    };
    EXPECT_EQ(skip(gap * 1.001), 0);
    EXPECT_EQ(skip(gap * 0.999), 1);
    data[n / 2].bad_label = 1;
    EXPECT_EQ(skip(gap * 1.001), 1);
    data[n / 2].bad_label = 0;
    samples[m / 3].energy = std::numeric_limits<float>::infinity();
    EXPECT_EQ(skip(1e30), 1);
}

}  // namespace
}  // namespace ebmkit
