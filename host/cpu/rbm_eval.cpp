#include "rbm_eval.hpp"

#include <algorithm>
#include <cmath>

#include "ebmkit/philox.hpp"
#include "scalar_math.hpp"

namespace ebmkit::cpu {

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
                const double b0 = betas[k - 1], b1 = betas[k];
                // log p*_k(v) - log p*_{k-1}(v) at the current v.
                hidden_preactivation(p, v.data(), x);
                double d = 0.0;
                for (std::int64_t i = 0; i < p.visible; ++i) {
                    if (v[i] != 0.0f) d += (b1 - b0) * (static_cast<double>(p.b[i]) - base_b[i]);
                }
                for (std::int64_t j = 0; j < p.hidden; ++j) d += softplus(b1 * x[j]) - softplus(b0 * x[j]);
                lw += d;
                if (k + 1 == betas.size()) break;  // no transition needed after the last ratio
                // One Gibbs sweep that leaves p_k invariant.
                const auto step = static_cast<std::uint32_t>(k);
                bernoulli_units([&](std::int64_t j) { return sigmoid(b1 * x[j]); }, p.hidden, h.data(), key,
                          RngPurpose::AisHidden, chain, step);
                bernoulli_units(
                    [&](std::int64_t i) {
                        const float* wi = p.w + i * p.hidden;
                        double a = 0.0;
                        for (std::int64_t j = 0; j < p.hidden; ++j) a += h[j] != 0.0f ? wi[j] : 0.0;
                        return sigmoid((1.0 - b1) * base_b[i] + b1 * (p.b[i] + a));
                    },
                    p.visible, v.data(), key, RngPurpose::AisVisible, chain, step);
            }
            log_w[r] = lw;
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
