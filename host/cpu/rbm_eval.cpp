#include "rbm_eval.hpp"

#include <algorithm>
#include <cmath>

#include "ebmkit/philox.hpp"
#include "scalar_math.hpp"

namespace ebmkit::cpu {

namespace {

// log p*_to(v) - log p*_from(v) on AIS's path (ebmkit/rbm.hpp), x = c + v W:
// (to - from) (b - b_A)^T v + sum_j [softplus(to x_j) - softplus(from x_j)].
double log_ratio(const RbmParams<const float>& p, const float* base_b, const float* v, const std::vector<double>& x,
                 double to, double from) {
    double d = 0.0;
    for (std::int64_t i = 0; i < p.visible; ++i) {
        if (v[i] != 0.0f) d += (to - from) * (static_cast<double>(p.b[i]) - base_b[i]);
    }
    for (std::int64_t j = 0; j < p.hidden; ++j) d += softplus(to * x[j]) - softplus(from * x[j]);
    return d;
}

// The two halves of a Gibbs sweep of p_beta: h ~ sigm(beta x), then
// v ~ sigm((1 - beta) b_A + beta (b + W h)).
void sample_hidden(const RbmParams<const float>& p, const std::vector<double>& x, double beta, float* h,
                   PhiloxKey key, RngPurpose purpose, std::uint32_t chain, std::uint32_t step) {
    bernoulli_units([&](std::int64_t j) { return sigmoid(beta * x[j]); }, p.hidden, h, key, purpose, chain, step);
}
void sample_visible(const RbmParams<const float>& p, const float* base_b, const float* h, double beta, float* v,
                    PhiloxKey key, RngPurpose purpose, std::uint32_t chain, std::uint32_t step) {
    bernoulli_units(
        [&](std::int64_t i) {
            const float* wi = p.w + i * p.hidden;
            double a = 0.0;
            for (std::int64_t j = 0; j < p.hidden; ++j) a += h[j] != 0.0f ? wi[j] : 0.0;
            return sigmoid((1.0 - beta) * base_b[i] + beta * (p.b[i] + a));
        },
        p.visible, v, key, purpose, chain, step);
}

}  // namespace

std::vector<double> ais_log_weights(const RbmParams<const float>& p, const float* base_b, std::int64_t runs,
                                    const std::vector<double>& betas, std::uint64_t seed) {
    std::vector<double> log_w(static_cast<std::size_t>(runs), 0.0);
    const PhiloxKey key = philox_key(seed);
#pragma omp parallel
    {
        std::vector<float> v(p.visible), h(p.hidden);
        std::vector<double> x;
#pragma omp for schedule(dynamic)
        for (std::int64_t r = 0; r < runs; ++r) {
            const auto chain = static_cast<std::uint32_t>(r);
            bernoulli_units([&](std::int64_t i) { return sigmoid(base_b[i]); }, p.visible, v.data(), key, RngPurpose::ChainInit,
                      chain, 0);
            double lw = 0.0;
            for (std::size_t k = 1; k < betas.size(); ++k) {
                // log p*_k(v) - log p*_{k-1}(v) at the current v.
                hidden_preactivation(p, v.data(), x);
                lw += log_ratio(p, base_b, v.data(), x, betas[k], betas[k - 1]);
                if (k + 1 == betas.size()) break;  // no transition needed after the last ratio
                // One Gibbs sweep that leaves p_k invariant.
                const auto step = static_cast<std::uint32_t>(k);
                sample_hidden(p, x, betas[k], h.data(), key, RngPurpose::AisHidden, chain, step);
                sample_visible(p, base_b, h.data(), betas[k], v.data(), key, RngPurpose::AisVisible, chain, step);
            }
            log_w[r] = lw;
        }
    }
    return log_w;
}

std::vector<double> raise_log_weights(const RbmParams<const float>& p, const float* base_b, const float* data,
                                      std::int64_t rows, std::int64_t runs, const std::vector<double>& betas,
                                      std::uint64_t seed) {
    std::vector<double> log_w(static_cast<std::size_t>(rows * runs), 0.0);
    const PhiloxKey key = philox_key(seed);
    const std::size_t last = betas.size() - 1;  // K
#pragma omp parallel
    {
        std::vector<float> v(p.visible), h(p.hidden);
        std::vector<double> x;
#pragma omp for schedule(dynamic)
        for (std::int64_t c = 0; c < rows * runs; ++c) {
            const auto chain = static_cast<std::uint32_t>(c);
            std::copy_n(data + (c / runs) * p.visible, p.visible, v.data());
            hidden_preactivation(p, v.data(), x);
            sample_hidden(p, x, betas[last], h.data(), key, RngPurpose::RaiseHidden, chain, static_cast<std::uint32_t>(last));
            double lw = 0.0;
            for (std::size_t k = last; k >= 1; --k) {
                // v_{k-1} from the sweep of p_k (its hidden half drawn above), then the
                // ratio p*_{k-1}(v_{k-1}) / p*_k(v_{k-1}) and the next sweep's hidden half.
                sample_visible(p, base_b, h.data(), betas[k], v.data(), key, RngPurpose::RaiseVisible, chain,
                               static_cast<std::uint32_t>(k));
                hidden_preactivation(p, v.data(), x);
                lw += log_ratio(p, base_b, v.data(), x, betas[k - 1], betas[k]);
                if (k > 1) {
                    sample_hidden(p, x, betas[k - 1], h.data(), key, RngPurpose::RaiseHidden, chain,
                                  static_cast<std::uint32_t>(k - 1));
                }
            }
            log_w[static_cast<std::size_t>(c)] = lw;
        }
    }
    return log_w;
}

void pseudo_log_likelihood(const RbmParams<const float>& p, const float* v, std::int64_t rows, float* out) {
#pragma omp parallel
    {
        std::vector<double> x, sp;
#pragma omp for schedule(static)
        for (std::int64_t r = 0; r < rows; ++r) {
            const float* vr = v + r * p.visible;
            hidden_preactivation(p, vr, x);
            sp.resize(x.size());
            for (std::size_t j = 0; j < x.size(); ++j) sp[j] = softplus(x[j]);
            double pl = 0.0;
            for (std::int64_t i = 0; i < p.visible; ++i) {
                // Flipping bit i moves x by delta * W_i: and F by -b_i delta - (change in the softplus sum).
                const double delta = vr[i] != 0.0f ? -1.0 : 1.0;
                const float* wi = p.w + i * p.hidden;
                double change = 0.0;
                for (std::int64_t j = 0; j < p.hidden; ++j) change += softplus(x[j] + delta * wi[j]) - sp[j];
                const double f_flip_minus_f = -static_cast<double>(p.b[i]) * delta - change;
                pl -= softplus(-f_flip_minus_f);  // log sigm(F(v') - F(v))
            }
            out[r] = static_cast<float>(pl);
        }
    }
}

}  // namespace ebmkit::cpu
