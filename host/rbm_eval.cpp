// RBM evaluation: AIS estimates of log Z, RAISE estimates of log p(v), the base-rate
// model, pseudo-likelihood.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "check.hpp"
#include "ebmkit/rbm.hpp"
#include "ops/ops.hpp"

namespace ebmkit {

std::vector<double> standard_ais_schedule() {
    std::vector<double> betas;
    // Integer counters avoid drift from repeated floating-point addition.
    for (int i = 0; i < 500; ++i) betas.push_back(i * 1e-3);
    for (int i = 0; i < 4000; ++i) betas.push_back(0.5 + i * 1e-4);
    for (int i = 0; i < 10000; ++i) betas.push_back(0.9 + i * 1e-5);
    betas.push_back(1.0);
    return betas;
}

std::vector<double> linear_ais_schedule(std::int64_t steps) {
    if (steps < 1) throw Error("linear_ais_schedule: steps must be >= 1, got " + std::to_string(steps));
    std::vector<double> betas;
    for (std::int64_t i = 0; i <= steps; ++i) betas.push_back(static_cast<double>(i) / static_cast<double>(steps));
    return betas;
}

namespace {

// options.betas, or the standard schedule, checked: from 0 to 1, non-decreasing.
std::vector<double> checked_betas(const char* op, const AisOptions& options) {
    if (options.runs < 1) detail::fail(std::string(op) + ": options.runs must be >= 1, got " + std::to_string(options.runs));
    std::vector<double> betas = options.betas.empty() ? standard_ais_schedule() : options.betas;
    if (betas.size() < 2 || betas.front() != 0.0 || betas.back() != 1.0) {
        detail::fail(std::string(op) + ": options.betas must run from 0 to 1 with at least two entries");
    }
    for (std::size_t k = 1; k < betas.size(); ++k) {
        if (!(betas[k] >= betas[k - 1])) {
            detail::fail(std::string(op) + ": options.betas must be non-decreasing (entry " + std::to_string(k) + ")");
        }
    }
    return betas;
}

// The base-rate bias b_A, checked and copied to the host.
Tensor checked_base(const char* op, Context& ctx, const Rbm& rbm, ConstTensorView base_visible_bias) {
    detail::check_tensor(op, "base_visible_bias", base_visible_bias, {rbm.visible()}, DType::F32, ctx.device());
    Tensor base_host({rbm.visible()});
    copy(base_visible_bias, base_host);
    for (std::int64_t i = 0; i < rbm.visible(); ++i) detail::check_finite(op, "base_visible_bias", base_host.data<float>()[i]);
    return base_host;
}

// log Z_A = M log 2 + sum_i softplus(b_A,i).
double log_base_partition(const Tensor& base_host, std::int64_t hidden) {
    double log_z = static_cast<double>(hidden) * std::log(2.0);
    for (float b : base_host.to_vector<float>()) log_z += std::max<double>(b, 0.0) + std::log1p(std::exp(-std::abs(double(b))));
    return log_z;
}

// log of the mean of exp(log_w[0 .. n)), relative to the largest term.
double log_mean_exp(const double* log_w, std::size_t n) {
    const double m = *std::max_element(log_w, log_w + n);
    double sum = 0.0;
    for (std::size_t i = 0; i < n; ++i) sum += std::exp(log_w[i] - m);
    return m + std::log(sum / static_cast<double>(n));
}

}  // namespace

AisResult log_partition_ais(Context& ctx, const Rbm& rbm, ConstTensorView base_visible_bias, const AisOptions& options) {
    constexpr const char* op = "log_partition_ais";
    detail::check_model(op, ctx, rbm);
    const Tensor base_host = checked_base(op, ctx, rbm, base_visible_bias);
    const std::vector<double> betas = checked_betas(op, options);

    AisResult r;
    r.log_weights = detail::ops(ctx).rbm.ais_log_weights(ctx, rbm, base_visible_bias.data<float>(),
                                                         base_host.data<float>(), options.runs, betas);
    r.log_z_base = log_base_partition(base_host, rbm.hidden());
    // Mean and spread of w = exp(log w), computed relative to the largest weight.
    const double m = *std::max_element(r.log_weights.begin(), r.log_weights.end());
    double mean = 0.0, sq = 0.0;
    for (double lw : r.log_weights) mean += std::exp(lw - m);
    mean /= static_cast<double>(r.log_weights.size());
    for (double lw : r.log_weights) sq += (std::exp(lw - m) - mean) * (std::exp(lw - m) - mean);
    const double n = static_cast<double>(r.log_weights.size());
    const double se = n > 1 ? std::sqrt(sq / (n - 1)) / std::sqrt(n) : 0.0;
    r.log_z = r.log_z_base + m + std::log(mean);
    r.log_z_high = r.log_z_base + m + std::log(mean + 3 * se);
    r.log_z_low = mean > 3 * se ? r.log_z_base + m + std::log(mean - 3 * se) : -std::numeric_limits<double>::infinity();
    return r;
}

RaiseResult log_likelihood_raise(Context& ctx, const Rbm& rbm, ConstTensorView base_visible_bias, ConstTensorView v,
                                 const AisOptions& options) {
    constexpr const char* op = "log_likelihood_raise";
    detail::check_model(op, ctx, rbm);
    const Tensor base_host = checked_base(op, ctx, rbm, base_visible_bias);
    detail::check_tensor(op, "v", v, {detail::any_dim, rbm.visible()}, DType::F32, ctx.device());
    const std::vector<double> betas = checked_betas(op, options);
    const std::int64_t rows = v.dim(0), runs = options.runs, chains = rows * runs;
    if (rows < 1) detail::fail(std::string(op) + ": v must have at least one row");
    if (chains > std::int64_t{0xffffffff}) {
        detail::fail(std::string(op) + ": rows * options.runs = " + std::to_string(chains) +
                     " chains exceed the 2^32 chain words of the Philox key");
    }
    Tensor f({rows}, DType::F32, ctx.device());
    free_energy(ctx, rbm, v, f);
    const std::vector<double> log_w = detail::ops(ctx).rbm.raise_log_weights(
        ctx, rbm, base_visible_bias.data<float>(), base_host.data<float>(), v.data<float>(), rows, runs, betas);
    // log p(v_n) ~ -F(v_n) - log Z_A + log mean_r exp(log_w[n, r]).
    const double log_z_base = log_base_partition(base_host, rbm.hidden());
    const std::vector<float> fv = f.to_vector<float>();
    RaiseResult r;
    r.log_likelihoods.resize(static_cast<std::size_t>(rows));
    double sum = 0.0;
    for (std::int64_t n = 0; n < rows; ++n) {
        r.log_likelihoods[n] = -static_cast<double>(fv[n]) - log_z_base + log_mean_exp(log_w.data() + n * runs, runs);
        sum += r.log_likelihoods[n];
    }
    r.mean = sum / static_cast<double>(rows);
    double sq = 0.0;
    for (double ll : r.log_likelihoods) sq += (ll - r.mean) * (ll - r.mean);
    r.std_error = rows > 1 ? std::sqrt(sq / static_cast<double>(rows - 1) / static_cast<double>(rows)) : 0.0;
    return r;
}

Tensor base_rate_bias(const Tensor& data, float smoothing) {
    detail::check_tensor("base_rate_bias", "data", data, {detail::any_dim, detail::any_dim}, DType::F32, Device::Host);
    detail::check_positive("base_rate_bias", "smoothing", smoothing);
    const std::int64_t n = data.dim(0), d = data.dim(1);
    std::vector<double> sum(static_cast<std::size_t>(d), 0.0);
    const float* x = data.data<float>();
    for (std::int64_t r = 0; r < n; ++r) {
        for (std::int64_t i = 0; i < d; ++i) sum[i] += x[r * d + i];
    }
    std::vector<float> b(static_cast<std::size_t>(d));
    for (std::int64_t i = 0; i < d; ++i) {
        const double p = (sum[i] + smoothing) / (static_cast<double>(n) + 2.0 * smoothing);
        b[i] = static_cast<float>(std::log(p / (1.0 - p)));
    }
    return Tensor::from(b, {d});
}

void pseudo_log_likelihood(Context& ctx, const Rbm& rbm, ConstTensorView v, TensorView out) {
    constexpr const char* op = "pseudo_log_likelihood";
    detail::check_model(op, ctx, rbm);
    detail::check_tensor(op, "v", v, {detail::any_dim, rbm.visible()}, DType::F32, ctx.device());
    detail::check_tensor(op, "out", out, {v.dim(0)}, DType::F32, ctx.device());
    detail::ops(ctx).rbm.pseudo_log_likelihood(ctx, rbm, v, out);
}

}  // namespace ebmkit
