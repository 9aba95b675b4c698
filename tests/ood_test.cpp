// Out-of-distribution metrics (include/ebmkit/ood.hpp) against hand-computed cases with
// ties and against their definitions by brute force on random scores with ties: AUROC as
// the fraction of (in, out) pairs ordered right (ties a half), average precision over the
// distinct thresholds, the FPR at 95% TPR as the least FPR over the thresholds that keep
// 95% of the in set; the bootstrap intervals' determinism, coverage of the estimate and
// narrowing with size; bad input; the JEM's and the RBM's scores against their
// definitions in double. (python/tests/test_ood.py compares the metrics with scikit-learn.)
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <vector>

#include "ebmkit/error.hpp"
#include "ebmkit/ood.hpp"
#include "host/cpu/mlp.hpp"
#include "support.hpp"

namespace ebmkit {
namespace {

TEST(OodMetrics, HandComputedWithTies) {
    // Pairs: in > out for (3,2) (3,0) (2,0) (2,0) (1,0), ties (2,2) twice: (5 + 1) / 8.
    const OodMetrics m = ood_metrics({3, 2, 2, 1}, {2, 0}, 0);
    EXPECT_DOUBLE_EQ(m.auroc.value, 0.75);
    // Thresholds 3, 2, 1: recall steps 1/4, 2/4, 1/4 at precisions 1, 3/4, 4/5.
    EXPECT_DOUBLE_EQ(m.aupr_in.value, 0.25 + 0.5 * 0.75 + 0.25 * 0.8);
    // The out set positive on -score: thresholds -0, -2: recall 1/2 at precision 1, 1/2 at 2/5.
    EXPECT_DOUBLE_EQ(m.aupr_out.value, 0.5 + 0.5 * 0.4);
    // TPR reaches 95% only at threshold 1, where one of the two out scores is at or above it.
    EXPECT_DOUBLE_EQ(m.fpr_at_95_tpr.value, 0.5);
    EXPECT_EQ(m.auroc.low, m.auroc.value);  // no resamples, no interval
    const OodMetrics perfect = ood_metrics({5, 6, 7}, {1, 2}, 0), reversed = ood_metrics({1, 2}, {5, 6, 7}, 0);
    EXPECT_EQ(perfect.auroc.value, 1.0);
    EXPECT_EQ(perfect.aupr_in.value, 1.0);
    EXPECT_EQ(perfect.aupr_out.value, 1.0);
    EXPECT_EQ(perfect.fpr_at_95_tpr.value, 0.0);
    EXPECT_EQ(reversed.auroc.value, 0.0);
    EXPECT_EQ(reversed.fpr_at_95_tpr.value, 1.0);
    EXPECT_DOUBLE_EQ(ood_metrics({1, 1}, {1, 1, 1}, 0).auroc.value, 0.5);  // all tied
}

// The definitions, by brute force over every threshold.
TEST(OodMetrics, AreTheirDefinitionsOnRandomScoresWithTies) {
    auto rng = test::fresh_rng();
    for (int trial = 0; trial < 20; ++trial) {
        std::vector<float> in = test::uniform_values(rng, 30 + rng() % 40, 0, 10);
        std::vector<float> out = test::uniform_values(rng, 20 + rng() % 40, -3, 7);
        for (auto* set : {&in, &out}) {
            for (float& s : *set) s = std::round(s);  // ties within and across the sets
        }
        const OodMetrics m = ood_metrics(in, out, 0);
        double pairs = 0;
        for (float a : in) {
            for (float b : out) pairs += a > b ? 1.0 : a == b ? 0.5 : 0.0;
        }
        EXPECT_NEAR(m.auroc.value, pairs / (in.size() * out.size()), 1e-12);
        std::set<float> thresholds(in.begin(), in.end());
        thresholds.insert(out.begin(), out.end());
        auto count_at_or_above = [](const std::vector<float>& set, float t) {
            return static_cast<double>(std::count_if(set.begin(), set.end(), [&](float s) { return s >= t; }));
        };
        double ap_in = 0, ap_out = 0, previous_recall = 0, fpr = 1;
        for (auto t = thresholds.rbegin(); t != thresholds.rend(); ++t) {
            const double tp = count_at_or_above(in, *t), fp = count_at_or_above(out, *t);
            ap_in += (tp / in.size() - previous_recall) * tp / (tp + fp);
            previous_recall = tp / in.size();
            if (tp >= 0.95 * in.size()) fpr = std::min(fpr, fp / out.size());
        }
        previous_recall = 0;
        for (float t : thresholds) {  // the out set positive on -score: ascending scores
            const double tp = static_cast<double>(std::count_if(out.begin(), out.end(), [&](float s) { return s <= t; }));
            const double fp = static_cast<double>(std::count_if(in.begin(), in.end(), [&](float s) { return s <= t; }));
            ap_out += (tp / out.size() - previous_recall) * tp / (tp + fp);
            previous_recall = tp / out.size();
        }
        EXPECT_NEAR(m.aupr_in.value, ap_in, 1e-12);
        EXPECT_NEAR(m.aupr_out.value, ap_out, 1e-12);
        EXPECT_NEAR(m.fpr_at_95_tpr.value, fpr, 1e-12);
    }
}

TEST(OodMetrics, BootstrapIntervalsAreKeyedCoverTheEstimateAndNarrowWithSize) {
    auto rng = test::fresh_rng();
    std::normal_distribution<float> normal(0.0f, 1.0f);
    auto draw = [&](std::size_t n, float shift) {
        std::vector<float> v(n);
        for (float& s : v) s = normal(rng) + shift;
        return v;
    };
    const std::vector<float> in = draw(200, 1.0f), out = draw(200, 0.0f);
    const OodMetrics a = ood_metrics(in, out, 300, 7), b = ood_metrics(in, out, 300, 7), c = ood_metrics(in, out, 300, 8);
    EXPECT_EQ(a.auroc.low, b.auroc.low);
    EXPECT_EQ(a.fpr_at_95_tpr.high, b.fpr_at_95_tpr.high);
    EXPECT_NE(a.auroc.low, c.auroc.low);
    for (const RankMetric& r : {a.auroc, a.aupr_in, a.aupr_out, a.fpr_at_95_tpr}) {
        EXPECT_LE(r.low, r.value);
        EXPECT_GE(r.high, r.value);
        EXPECT_LT(r.low, r.high);
    }
    // AUROC of N(1, 1) against N(0, 1) is Phi(1 / sqrt 2) = 0.760; its interval narrows as 1 / sqrt n.
    const OodMetrics big = ood_metrics(draw(3200, 1.0f), draw(3200, 0.0f), 300, 7);
    EXPECT_LT(big.auroc.high - big.auroc.low, 0.5 * (a.auroc.high - a.auroc.low));
    EXPECT_NEAR(big.auroc.value, 0.7602499, 4 * 0.006);  // 4 standard errors at n = 3200 (Hanley-McNeil)
}

// The scores against double computations of their definitions (MlpRow's passes; the free
// energy's formula), over more rows than one chunk.
TEST(OodScores, AreTheirDefinitionsOverChunks) {
    auto rng = test::fresh_rng();
    Context cpu(Backend::Cpu, 1);
    const MlpEnergy model = test::random_mlp(rng, {6, 9, 4}, Activation::silu(), 1.5f);
    const std::int64_t n = 1100;
    const Tensor x = test::uniform_tensor(rng, {n, 6}, -2, 2);
    const JemOodScores s = jem_ood_scores(cpu, model, x);
    ASSERT_EQ(s.log_density.size(), std::size_t(n));
    const cpu::MlpParams<const float> p = cpu::params_of(model);
    cpu::MlpRow row(p);
    for (std::int64_t r = 0; r < n; r += 37) {
        row.forward(x.data<float>() + r * 6);
        std::vector<double> dlogits;
        row.energy_dlogits(-1, dlogits);
        row.backward(dlogits.data());
        const std::vector<double>& f = row.logits();
        double top = *std::max_element(f.begin(), f.end()), sum = 0, sq = 0;
        for (double v : f) sum += std::exp(v - top);
        for (double g : row.input_grad()) sq += g * g;
        EXPECT_NEAR(s.log_density[r], -row.energy(-1), 1e-5 * (1 + std::abs(row.energy(-1)))) << r;
        EXPECT_NEAR(s.max_softmax[r], 1 / sum, 1e-6) << r;
        EXPECT_NEAR(s.neg_grad_norm[r], -std::sqrt(sq), 1e-5 * (1 + std::sqrt(sq))) << r;
    }
    Rbm rbm(5, 3);
    rbm.init_normal(rng(), 0.5f);
    const std::vector<float> b = test::uniform_values(rng, 5, -1, 1), c = test::uniform_values(rng, 3, -1, 1);
    std::copy(b.begin(), b.end(), rbm.b().data<float>());
    std::copy(c.begin(), c.end(), rbm.c().data<float>());
    const Tensor v = test::uniform_tensor(rng, {n, 5}, 0, 1);
    const std::vector<float> scores = rbm_ood_scores(cpu, rbm, v);
    ASSERT_EQ(scores.size(), std::size_t(n));
    for (std::int64_t r = 0; r < n; r += 37) {
        // -F(v) = b . v + sum_j softplus(c_j + v . W_:j), W [visible, hidden].
        double want = 0;
        for (int i = 0; i < 5; ++i) want += double(b[i]) * v.data<float>()[r * 5 + i];
        for (int j = 0; j < 3; ++j) {
            double a = c[j];
            for (int i = 0; i < 5; ++i) a += double(rbm.w().data<float>()[i * 3 + j]) * v.data<float>()[r * 5 + i];
            want += std::log1p(std::exp(a));
        }
        EXPECT_NEAR(scores[r], want, 1e-5 * (1 + std::abs(want))) << r;
    }
    const Tensor narrow = Tensor::zeros({3, 5}, DType::F32), four = Tensor::zeros({3, 4}, DType::F32);
    EXPECT_THROW(jem_ood_scores(cpu, model, narrow), Error);  // width 5 for D = 6
    EXPECT_THROW(rbm_ood_scores(cpu, rbm, four), Error);
}

TEST(OodMetrics, BadInputIsRefused) {
    EXPECT_THROW(ood_metrics({}, {1.0f}), Error);
    EXPECT_THROW(ood_metrics({1.0f}, {}), Error);
    EXPECT_THROW(ood_metrics({1.0f, std::numeric_limits<float>::quiet_NaN()}, {0.0f}), Error);
    EXPECT_THROW(ood_metrics({1.0f}, {std::numeric_limits<float>::infinity()}), Error);
    EXPECT_THROW(ood_metrics({1.0f}, {0.0f}, -1), Error);
}

}  // namespace
}  // namespace ebmkit

namespace ebmkit {
namespace {

// The ROC curve by hand (ties in one step), and on random scores with ties its trapezoid
// area is the AUROC.
TEST(OodRoc, HandComputedAndItsAreaIsTheAuroc) {
    const std::vector<RocPoint> c = roc_curve({3, 2, 2}, {2, 1});
    ASSERT_EQ(c.size(), 4u);
    const double want[4][2] = {{0, 0}, {0, 1.0 / 3}, {0.5, 1}, {1, 1}};
    for (int i = 0; i < 4; ++i) {
        EXPECT_DOUBLE_EQ(c[i].fpr, want[i][0]) << i;
        EXPECT_DOUBLE_EQ(c[i].tpr, want[i][1]) << i;
    }
    auto rng = test::fresh_rng();
    std::vector<float> in, out;
    for (int i = 0; i < 300; ++i) in.push_back(static_cast<float>(rng() % 40));
    for (int i = 0; i < 200; ++i) out.push_back(static_cast<float>(rng() % 30));
    const std::vector<RocPoint> r = roc_curve(in, out);
    double area = 0;
    for (std::size_t i = 1; i < r.size(); ++i) area += (r[i].fpr - r[i - 1].fpr) * (r[i].tpr + r[i - 1].tpr) / 2;
    EXPECT_NEAR(area, ood_metrics(in, out, 0).auroc.value, 1e-12);
    EXPECT_THROW(roc_curve({}, {1.0f}), Error);
    // Perfectly separated sets of sizes whose fractions do not sum to 1 exactly in
    // floating point: the precisions are all 1, and the average precision is no more.
    std::vector<float> high(60), low(60);
    for (int i = 0; i < 60; ++i) high[i] = 10.0f + static_cast<float>(i), low[i] = -static_cast<float>(i);
    const OodMetrics m = ood_metrics(high, low, 20);
    for (const RankMetric* r : {&m.aupr_in, &m.aupr_out, &m.auroc}) {
        EXPECT_LE(r->value, 1.0);
        EXPECT_LE(r->high, 1.0);
        EXPECT_LE(r->low, r->value);
    }
}

// Each OOD set's defining property on random images.
TEST(OodSets, EachTransformHasItsDefiningProperty) {
    auto rng = test::fresh_rng();
    const std::int64_t n = 300, h = 5, w = 7, d = h * w;
    const Tensor images = test::uniform_tensor(rng, {n, d}, 0, 1);
    const std::uint64_t seed = rng();
    const float* x = images.data<float>();
    auto values = [&](OodSet s) { return make_ood_set(s, images, h, w, seed).to_vector<float>(); };
    for (const OodSet s : {OodSet::Uniform, OodSet::Gaussian, OodSet::Constant, OodSet::Flip, OodSet::Invert,
                           OodSet::Permute}) {
        const std::vector<float> y = values(s);
        ASSERT_EQ(y.size(), static_cast<std::size_t>(n * d)) << to_string(s);
        for (float v : y) ASSERT_TRUE(v >= 0.0f && v <= 1.0f) << to_string(s) << ": " << v;
        EXPECT_EQ(y, values(s)) << to_string(s) << ": keyed by the seed";
    }
    // uniform: mean 1/2, variance 1/12 within 5 standard errors.
    const std::vector<float> u = values(OodSet::Uniform);
    double mean = 0;
    for (float v : u) mean += v / static_cast<double>(u.size());
    EXPECT_NEAR(mean, 0.5, 5 * std::sqrt(1.0 / 12 / static_cast<double>(u.size())));
    // constant: every image one value; flip: row i is row h - 1 - i; invert: 1 - x.
    const std::vector<float> c = values(OodSet::Constant), f = values(OodSet::Flip), v = values(OodSet::Invert);
    for (std::int64_t r = 0; r < n; ++r) {
        for (std::int64_t i = 0; i < d; ++i) {
            ASSERT_EQ(c[r * d + i], c[r * d]);
            ASSERT_EQ(f[r * d + i], x[r * d + (h - 1 - i / w) * w + i % w]);
            ASSERT_EQ(v[r * d + i], 1.0f - x[r * d + i]);
        }
    }
    // permute: one permutation for every image (each image's sorted values unchanged, and
    // pixel i of every image comes from the same source pixel).
    const std::vector<float> p = values(OodSet::Permute);
    std::vector<std::int64_t> source(d, -1);
    for (std::int64_t i = 0; i < d; ++i) {
        for (std::int64_t k = 0; k < d; ++k) {
            if (p[i] == x[k]) source[i] = k;
        }
        ASSERT_GE(source[i], 0);
        for (std::int64_t r = 1; r < n; ++r) ASSERT_EQ(p[r * d + i], x[r * d + source[i]]);
    }
    EXPECT_NE(p, images.to_vector<float>()) << "a permutation other than the identity";
    // gaussian: the data's mean and spread (before clipping, so within a margin).
    const std::vector<float> g = values(OodSet::Gaussian);
    double gm = 0;
    for (float e : g) gm += e / static_cast<double>(g.size());
    EXPECT_NEAR(gm, 0.5, 0.02);
    // Bad input.
    EXPECT_THROW(make_ood_set(OodSet::Flip, images, 5, 6, seed), Error);
    // Held-out classes: inside, the rows of the listed classes relabelled by their index;
    // outside, the other rows with their labels; together every row once.
    std::vector<std::int32_t> y(static_cast<std::size_t>(n));
    for (auto& label : y) label = static_cast<std::int32_t>(rng() % 6);
    const Tensor labels = Tensor::from(y, {n});
    const LabelledRows kept = rows_of_classes(images, labels, {4, 1}, true);
    const LabelledRows held = rows_of_classes(images, labels, {4, 1}, false);
    EXPECT_EQ(kept.images.dim(0) + held.images.dim(0), n);
    std::int64_t a = 0, b = 0;
    for (std::int64_t r = 0; r < n; ++r) {
        if (y[r] == 4 || y[r] == 1) {
            ASSERT_EQ(kept.labels.data<std::int32_t>()[a], y[r] == 4 ? 0 : 1);
            ASSERT_EQ(kept.images.data<float>()[a * d + 3], x[r * d + 3]);
            ++a;
        } else {
            ASSERT_EQ(held.labels.data<std::int32_t>()[b], y[r]);
            ASSERT_EQ(held.images.data<float>()[b * d + 3], x[r * d + 3]);
            ++b;
        }
    }
    EXPECT_THROW(rows_of_classes(images, labels, {}, true), Error);
    EXPECT_THROW(rows_of_classes(images, labels, {2, 2}, true), Error);
    EXPECT_THROW(rows_of_classes(images, labels, {9}, true), Error);
    Tensor bad = images.clone();
    bad.data<float>()[17] = 1.5f;
    EXPECT_THROW(make_ood_set(OodSet::Flip, bad, h, w, seed), Error);
}

}  // namespace
}  // namespace ebmkit
