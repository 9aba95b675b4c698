#include "ebmkit/diagnostics.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "check.hpp"

namespace ebmkit {

namespace {

// The chains' moments that both diagnostics start from, over `chains` sequences of n
// values each (sequence c's value i at values[i * draw_stride + c * chain_stride]).
struct Sequences {
    const float* values;
    std::int64_t n, chains, draw_stride, chain_stride;

    double at(std::int64_t c, std::int64_t i) const { return values[i * draw_stride + c * chain_stride]; }
    double mean(std::int64_t c) const {
        double s = 0;
        for (std::int64_t i = 0; i < n; ++i) s += at(c, i);
        return s / static_cast<double>(n);
    }
    // gamma_c(t) = (1 / n) sum_{i < n - t} (x_i - m)(x_{i+t} - m), the biased autocovariance.
    double autocovariance(std::int64_t c, double m, std::int64_t t) const {
        double s = 0;
        for (std::int64_t i = 0; i + t < n; ++i) s += (at(c, i) - m) * (at(c, i + t) - m);
        return s / static_cast<double>(n);
    }
    // W (the mean within-sequence variance, n - 1 divisor) and var+ = (n - 1) / n W + B / n.
    void variances(const std::vector<double>& means, double& w, double& var_plus) const {
        double grand = 0;
        for (double m : means) grand += m / static_cast<double>(chains);
        double b = 0;
        w = 0;
        for (std::int64_t c = 0; c < chains; ++c) {
            b += (means[c] - grand) * (means[c] - grand);
            w += autocovariance(c, means[c], 0) * static_cast<double>(n) / static_cast<double>(n - 1);
        }
        b = chains > 1 ? b * static_cast<double>(n) / static_cast<double>(chains - 1) : 0.0;
        w /= static_cast<double>(chains);
        var_plus = static_cast<double>(n - 1) / static_cast<double>(n) * w + b / static_cast<double>(n);
    }
};

void check_trace(const char* op, std::int64_t draws, std::int64_t chains) {
    if (draws < 4) detail::fail(std::string(op) + ": at least 4 draws are needed, got " + std::to_string(draws));
    if (chains < 1) detail::fail(std::string(op) + ": at least one chain is needed");
}

}  // namespace

double effective_sample_size(const float* values, std::int64_t draws, std::int64_t chains, std::int64_t draw_stride,
                             std::int64_t chain_stride) {
    check_trace("effective_sample_size", draws, chains);
    const Sequences s{values, draws, chains, draw_stride, chain_stride};
    std::vector<double> means(static_cast<std::size_t>(chains));
    for (std::int64_t c = 0; c < chains; ++c) means[c] = s.mean(c);
    double w = 0, var_plus = 0;
    s.variances(means, w, var_plus);
    const double total = static_cast<double>(draws * chains);
    if (!(var_plus > 0)) return total;  // a constant trace: every draw independent
    auto rho = [&](std::int64_t t) {
        double mean_gamma = 0;
        for (std::int64_t c = 0; c < chains; ++c) mean_gamma += s.autocovariance(c, means[c], t);
        mean_gamma /= static_cast<double>(chains);
        return 1.0 - (w - mean_gamma) / var_plus;
    };
    // Geyer's initial monotone sequence: pairs P_k = rho_{2k} + rho_{2k+1} while positive,
    // each capped by the one before; tau = -1 + 2 sum_k P_k.
    double sum = 0, previous = INFINITY;
    for (std::int64_t t = 0; t + 1 < draws; t += 2) {
        double pair = rho(t) + rho(t + 1);
        if (!(pair > 0)) break;
        pair = std::min(pair, previous);
        sum += pair;
        previous = pair;
    }
    const double tau = std::max(-1.0 + 2.0 * sum, 1.0 / std::log10(total));  // Stan's floor on tau
    return total / tau;
}

double split_r_hat(const float* values, std::int64_t draws, std::int64_t chains, std::int64_t draw_stride,
                   std::int64_t chain_stride) {
    check_trace("split_r_hat", draws, chains);
    // Halves: sequence 2c is chain c's first n draws, 2c + 1 its last n (the middle draw
    // of an odd count dropped), as two chains of their own.
    const std::int64_t n = draws / 2;
    std::vector<double> means(static_cast<std::size_t>(2 * chains));
    const Sequences first{values, n, chains, draw_stride, chain_stride};
    const Sequences second{values + (draws - n) * draw_stride, n, chains, draw_stride, chain_stride};
    double w = 0, b = 0, grand = 0;
    for (std::int64_t c = 0; c < chains; ++c) {
        means[2 * c] = first.mean(c);
        means[2 * c + 1] = second.mean(c);
        w += first.autocovariance(c, means[2 * c], 0) + second.autocovariance(c, means[2 * c + 1], 0);
    }
    const double halves = static_cast<double>(2 * chains);
    w = w / halves * static_cast<double>(n) / static_cast<double>(n - 1);
    for (double m : means) grand += m / halves;
    for (double m : means) b += (m - grand) * (m - grand);
    b = b * static_cast<double>(n) / (halves - 1);
    if (!(w > 0)) return b > 0 ? INFINITY : 1.0;  // constant halves: 1 when they agree
    const double var_plus = static_cast<double>(n - 1) / static_cast<double>(n) * w + b / static_cast<double>(n);
    return std::sqrt(var_plus / w);
}

ChainDiagnostics chain_diagnostics(const std::vector<float>& trace, std::int64_t draws, std::int64_t chains,
                                   std::int64_t dim) {
    constexpr const char* op = "chain_diagnostics";
    check_trace(op, draws, chains);
    if (dim < 1 || static_cast<std::int64_t>(trace.size()) != draws * chains * dim) {
        detail::fail(std::string(op) + ": the trace holds " + std::to_string(trace.size()) + " values, not draws x chains x dim = " +
                     std::to_string(draws * chains * dim));
    }
    ChainDiagnostics d;
    for (std::int64_t i = 0; i < dim; ++i) {
        d.effective_sample_size.push_back(effective_sample_size(trace.data() + i, draws, chains, chains * dim, dim));
        d.split_r_hat.push_back(split_r_hat(trace.data() + i, draws, chains, chains * dim, dim));
    }
    return d;
}

}  // namespace ebmkit
