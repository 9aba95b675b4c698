#include "ebmkit/ood.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "check.hpp"
#include "ebmkit/mlp.hpp"
#include "ebmkit/rbm.hpp"
#include "ebmkit/philox.hpp"

namespace ebmkit {

namespace {

// The four metrics of one pair of sets, by one walk over the scores in descending order,
// a group of equal scores at a time.
struct Point {
    double auroc, aupr_in, aupr_out, fpr;
};

Point point_of(std::vector<std::pair<float, bool>>& scored, double positives, double negatives) {
    // (score, in?) by descending score.
    std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    Point p{0, 0, 0, 1};
    double tp = 0, fp = 0;
    bool fpr_found = false;
    std::vector<std::pair<double, double>> groups;  // (in, out) per group, descending
    for (std::size_t i = 0; i < scored.size();) {
        double in = 0, out = 0;
        std::size_t j = i;
        for (; j < scored.size() && scored[j].first == scored[i].first; ++j) (scored[j].second ? in : out) += 1;
        groups.emplace_back(in, out);
        p.auroc += out * (tp + in / 2);
        tp += in;
        fp += out;
        if (in > 0) p.aupr_in += in / positives * tp / (tp + fp);
        if (!fpr_found && tp >= 0.95 * positives) {
            p.fpr = fp / negatives;
            fpr_found = true;
        }
        i = j;
    }
    p.auroc /= positives * negatives;
    p.aupr_in = std::min(p.aupr_in, 1.0);  // a sum of fractions of 1: rounding may pass it
    // The out set positive on the negated scores: the same groups, ascending.
    double tp_out = 0, fp_out = 0;
    for (auto g = groups.rbegin(); g != groups.rend(); ++g) {
        tp_out += g->second;
        fp_out += g->first;
        if (g->second > 0) p.aupr_out += g->second / negatives * tp_out / (tp_out + fp_out);
    }
    p.aupr_out = std::min(p.aupr_out, 1.0);
    return p;
}

Point point_of(const std::vector<float>& in, const std::vector<float>& out) {
    std::vector<std::pair<float, bool>> scored;
    scored.reserve(in.size() + out.size());
    for (float s : in) scored.emplace_back(s, true);
    for (float s : out) scored.emplace_back(s, false);
    return point_of(scored, static_cast<double>(in.size()), static_cast<double>(out.size()));
}

// The q-quantile of sorted values, linearly interpolated between order statistics.
double quantile(const std::vector<double>& sorted, double q) {
    const double at = q * static_cast<double>(sorted.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(at));
    const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
    return sorted[lo] + (at - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

std::vector<float> resample(const std::vector<float>& set, std::uint64_t seed, std::uint32_t rep, std::uint32_t which) {
    std::vector<float> out(set.size());
    for (std::size_t i = 0; i < set.size(); ++i) {
        const float u = philox_uniform(seed, RngPurpose::Bootstrap, rep, which, static_cast<std::uint32_t>(i));
        const auto k = std::min(set.size() - 1, static_cast<std::size_t>(static_cast<double>(u) * set.size()));
        out[i] = set[k];
    }
    return out;
}

}  // namespace

namespace {

void check_scores(const char* op, const std::vector<float>& in_scores, const std::vector<float>& out_scores) {
    for (const auto* set : {&in_scores, &out_scores}) {
        const char* name = set == &in_scores ? "in_scores" : "out_scores";
        if (set->empty()) detail::fail(std::string(op) + ": " + name + " is empty");
        if (set->size() > (std::size_t{1} << 31)) detail::fail(std::string(op) + ": " + name + " has too many scores");
        for (std::size_t i = 0; i < set->size(); ++i) {
            if (!std::isfinite((*set)[i])) {
                detail::fail(std::string(op) + ": " + name + "[" + std::to_string(i) + "] is not finite");
            }
        }
    }
}

}  // namespace

std::vector<RocPoint> roc_curve(const std::vector<float>& in_scores, const std::vector<float>& out_scores) {
    check_scores("roc_curve", in_scores, out_scores);
    std::vector<std::pair<float, bool>> scored;
    for (float s : in_scores) scored.emplace_back(s, true);
    for (float s : out_scores) scored.emplace_back(s, false);
    std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    const double positives = static_cast<double>(in_scores.size()), negatives = static_cast<double>(out_scores.size());
    std::vector<RocPoint> curve = {{0.0, 0.0}};
    double tp = 0, fp = 0;
    for (std::size_t i = 0; i < scored.size();) {
        std::size_t j = i;
        for (; j < scored.size() && scored[j].first == scored[i].first; ++j) (scored[j].second ? tp : fp) += 1;
        curve.push_back({fp / negatives, tp / positives});
        i = j;
    }
    return curve;
}

OodMetrics ood_metrics(const std::vector<float>& in_scores, const std::vector<float>& out_scores, int reps,
                       std::uint64_t seed) {
    constexpr const char* op = "ood_metrics";
    check_scores(op, in_scores, out_scores);
    if (reps < 0) detail::fail(std::string(op) + ": reps must be >= 0, got " + std::to_string(reps));
    const Point p = point_of(in_scores, out_scores);
    OodMetrics m;
    m.auroc = {p.auroc, p.auroc, p.auroc};
    m.aupr_in = {p.aupr_in, p.aupr_in, p.aupr_in};
    m.aupr_out = {p.aupr_out, p.aupr_out, p.aupr_out};
    m.fpr_at_95_tpr = {p.fpr, p.fpr, p.fpr};
    if (reps == 0) return m;
    std::vector<double> auroc, aupr_in, aupr_out, fpr;
    for (int r = 0; r < reps; ++r) {
        const auto rep = static_cast<std::uint32_t>(r);
        const Point b = point_of(resample(in_scores, seed, rep, 0), resample(out_scores, seed, rep, 1));
        auroc.push_back(b.auroc);
        aupr_in.push_back(b.aupr_in);
        aupr_out.push_back(b.aupr_out);
        fpr.push_back(b.fpr);
    }
    for (auto [values, metric] : {std::pair{&auroc, &m.auroc}, std::pair{&aupr_in, &m.aupr_in},
                                  std::pair{&aupr_out, &m.aupr_out}, std::pair{&fpr, &m.fpr_at_95_tpr}}) {
        std::sort(values->begin(), values->end());
        metric->low = quantile(*values, 0.025);
        metric->high = quantile(*values, 0.975);
    }
    return m;
}

namespace {

constexpr std::int64_t chunk_rows = 1024;

// The rows [start, start + rows) of x on ctx's device.
Tensor chunk_of(Context& ctx, ConstTensorView x, std::int64_t start, std::int64_t rows) {
    const std::int64_t d = x.dim(1);
    Tensor out({rows, d}, DType::F32, ctx);
    copy(ConstTensorView(x.data<float>() + start * d, {rows, d}, DType::F32, x.device()), out);
    return out;
}

}  // namespace

JemOodScores jem_ood_scores(Context& ctx, const MlpEnergy& model, ConstTensorView x) {
    constexpr const char* op = "jem_ood_scores";
    detail::check_model(op, ctx, model);
    detail::check_tensor(op, "x", x, {detail::any_dim, model.input_dim()}, DType::F32, x.device());
    const std::int64_t n = x.dim(0), k = model.num_outputs(), d = model.input_dim();
    JemOodScores s;
    for (std::int64_t start = 0; start < n; start += chunk_rows) {
        const std::int64_t rows = std::min(chunk_rows, n - start);
        const Tensor at = chunk_of(ctx, x, start, rows);
        Tensor logits({rows, k}, DType::F32, ctx), e({rows}, DType::F32, ctx), g({rows, d}, DType::F32, ctx);
        mlp_logits(ctx, model, at, logits);
        energy_and_grad_x(ctx, model, at, e, g);
        const std::vector<float> f = logits.to_vector<float>(), energies = e.to_vector<float>(),
                                 grads = g.to_vector<float>();
        for (std::int64_t r = 0; r < rows; ++r) {
            // max_y p(y | x) = 1 / sum_k exp(f_k - max f).
            const float* row = f.data() + r * k;
            const double top = *std::max_element(row, row + k);
            double sum = 0;
            for (std::int64_t j = 0; j < k; ++j) sum += std::exp(double(row[j]) - top);
            double sq = 0;
            for (std::int64_t j = 0; j < d; ++j) sq += double(grads[r * d + j]) * grads[r * d + j];
            s.log_density.push_back(-energies[r]);
            s.max_softmax.push_back(static_cast<float>(1.0 / sum));
            s.neg_grad_norm.push_back(static_cast<float>(-std::sqrt(sq)));
        }
    }
    return s;
}

std::vector<float> rbm_ood_scores(Context& ctx, const Rbm& rbm, ConstTensorView v) {
    constexpr const char* op = "rbm_ood_scores";
    detail::check_model(op, ctx, rbm);
    detail::check_tensor(op, "v", v, {detail::any_dim, rbm.visible()}, DType::F32, v.device());
    std::vector<float> out;
    for (std::int64_t start = 0; start < v.dim(0); start += chunk_rows) {
        const std::int64_t rows = std::min(chunk_rows, v.dim(0) - start);
        const Tensor at = chunk_of(ctx, v, start, rows);
        Tensor f({rows}, DType::F32, ctx);
        free_energy(ctx, rbm, at, f);
        for (float value : f.to_vector<float>()) out.push_back(-value);
    }
    return out;
}

}  // namespace ebmkit
