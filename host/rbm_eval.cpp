// RBM evaluation: AIS estimates of log Z, the base-rate model, pseudo-likelihood.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "check.hpp"
#include "cpu/rbm_eval.hpp"
#include "device_memory.hpp"
#include "ebmkit/rbm.hpp"
#if EBMKIT_WITH_CUDA
#include "kernels/rbm_eval.hpp"
#include "rbm_params.hpp"
#endif

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

AisResult log_partition_ais(Context& ctx, const Rbm& rbm, ConstTensorView base_visible_bias, const AisOptions& options) {
    constexpr const char* op = "log_partition_ais";
    detail::check_model(op, ctx, rbm);
    detail::check_tensor(op, "base_visible_bias", base_visible_bias, {rbm.visible()}, DType::F32, ctx.device());
    if (options.runs < 1) detail::fail(std::string(op) + ": options.runs must be >= 1, got " + std::to_string(options.runs));
    const std::vector<double> betas = options.betas.empty() ? standard_ais_schedule() : options.betas;
    if (betas.size() < 2 || betas.front() != 0.0 || betas.back() != 1.0) {
        detail::fail(std::string(op) + ": options.betas must run from 0 to 1 with at least two entries");
    }
    for (std::size_t k = 1; k < betas.size(); ++k) {
        if (!(betas[k] >= betas[k - 1])) {
            detail::fail(std::string(op) + ": options.betas must be non-decreasing (entry " + std::to_string(k) + ")");
        }
    }
    Tensor base_host({rbm.visible()});
    copy(base_visible_bias, base_host);
    const float* base_b = base_host.data<float>();
    for (std::int64_t i = 0; i < rbm.visible(); ++i) detail::check_finite(op, "base_visible_bias", base_b[i]);

    AisResult r;
#if EBMKIT_WITH_CUDA
    if (ctx.backend() == Backend::Cuda) {
        const std::int64_t runs = options.runs, d = rbm.visible(), m = rbm.hidden();
        // Scratch: log weights (double) first, then v and h.
        auto* scratch = static_cast<char*>(ctx.workspace(sizeof(double) * runs + sizeof(float) * runs * (d + m)));
        auto* log_w = reinterpret_cast<double*>(scratch);
        auto* v = reinterpret_cast<float*>(scratch + sizeof(double) * runs);
        kernels::rbm_ais(detail::rbm_params(ctx, rbm), base_visible_bias.data<float>(), runs, betas.data(), static_cast<std::int64_t>(betas.size()),
                         ctx.seed(), v, v + runs * d, log_w, ctx.stream());
        r.log_weights.resize(static_cast<std::size_t>(runs));
        detail::device_copy(r.log_weights.data(), Device::Host, log_w, Device::Cuda, sizeof(double) * runs);
    } else
#endif
    {
        r.log_weights = cpu::ais_log_weights(cpu::params_of(rbm), base_b, options.runs, betas, ctx.seed());
    }
    r.log_z_base = static_cast<double>(rbm.hidden()) * std::log(2.0);
    for (std::int64_t i = 0; i < rbm.visible(); ++i) {
        const double b = base_b[i];
        r.log_z_base += std::max(b, 0.0) + std::log1p(std::exp(-std::abs(b)));
    }
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
    if (ctx.backend() == Backend::Cpu) {
        cpu::pseudo_log_likelihood(cpu::params_of(rbm), v.data<float>(), v.dim(0), out.data<float>());
        return;
    }
#if EBMKIT_WITH_CUDA
    const kernels::RbmParams dev = detail::rbm_params(ctx, rbm);
    if (kernels::rbm_pseudo_log_likelihood_fits(dev)) {
        return kernels::rbm_pseudo_log_likelihood(dev, v.data<float>(), v.dim(0), out.data<float>(), ctx.stream());
    }
#endif
    // Too many hidden units for the kernel's shared memory: the host computes it from copies.
    const Rbm host_rbm = rbm.to(Device::Host);
    Tensor host_v(v.shape()), host_out({v.dim(0)});
    copy(v, host_v);
    cpu::pseudo_log_likelihood(cpu::params_of(host_rbm), host_v.data<float>(), v.dim(0), host_out.data<float>());
    copy(host_out, out);
}

}  // namespace ebmkit
