#include "tempering.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "ebmkit/philox.hpp"
#include "scalar_math.hpp"

namespace ebmkit::cpu {

namespace {

// b^T v and sum_j softplus(beta x_j) at the pair's two betas, x = c + v W.
struct FreeEnergyTerms {
    double bias, low, high;
};

FreeEnergyTerms terms_of(const RbmParams<const float>& p, const float* v, double low, double high,
                         std::vector<double>& x) {
    hidden_preactivation(p, v, x);
    FreeEnergyTerms t{0.0, 0.0, 0.0};
    for (std::int64_t i = 0; i < p.visible; ++i) t.bias += static_cast<double>(p.b[i]) * v[i];
    for (double xj : x) {
        t.low += softplus(low * xj);
        t.high += softplus(high * xj);
    }
    return t;
}

}  // namespace

void tempering_sweep(const RbmParams<const float>& p, const float* betas, int replicas, std::int64_t chains, float* v,
                     float* h, std::uint64_t seed, std::uint32_t sweep, std::uint64_t* accepted) {
    const PhiloxKey key = philox_key(seed);
    const std::int64_t rows = replicas * chains, d = p.visible, m = p.hidden;
#pragma omp parallel
    {
        std::vector<double> pre;
#pragma omp for schedule(static)
        for (std::int64_t r = 0; r < rows; ++r) {
            float* vr = v + r * d;
            float* hr = h + r * m;
            const auto chain = static_cast<std::uint32_t>(r);  // the chain word: replica * S + chain
            const double beta = betas[r / chains];
            hidden_preactivation(p, vr, pre);
            bernoulli_units([&](std::int64_t j) { return sigmoid(beta * pre[j]); }, m, hr, key,
                            RngPurpose::TemperingHidden, chain, sweep);
            bernoulli_units([&](std::int64_t i) { return sigmoid(beta * visible_preactivation(p, hr, i)); }, d, vr, key,
                            RngPurpose::TemperingVisible, chain, sweep);
        }
    }
    const int parity = static_cast<int>(sweep % 2);
    const int pairs = (replicas - parity) / 2;
    if (pairs == 0) return;
    std::vector<unsigned char> took(static_cast<std::size_t>(chains * pairs), 0);
#pragma omp parallel
    {
        std::vector<double> x;
#pragma omp for schedule(static)
        for (std::int64_t c = 0; c < chains; ++c) {
            for (int q = 0; q < pairs; ++q) {
                const int r = parity + 2 * q;
                const std::int64_t a = r * chains + c, b = a + chains;
                const double low = betas[r], high = betas[r + 1];
                const FreeEnergyTerms ta = terms_of(p, v + a * d, low, high, x);
                const FreeEnergyTerms tb = terms_of(p, v + b * d, low, high, x);
                // F_low(v_a) + F_high(v_b) - F_low(v_b) - F_high(v_a), F_beta(v) = -beta b^T v - sum softplus(beta x).
                const double log_alpha = (high - low) * (ta.bias - tb.bias) + tb.low + ta.high - ta.low - tb.high;
                const float u = philox_uniform(seed, RngPurpose::TemperingSwap, static_cast<std::uint32_t>(c), sweep,
                                               static_cast<std::uint32_t>(r));
                if (std::log(static_cast<double>(u)) > log_alpha) continue;
                took[static_cast<std::size_t>(c * pairs + q)] = 1;
                std::swap_ranges(v + a * d, v + (a + 1) * d, v + b * d);
                std::swap_ranges(h + a * m, h + (a + 1) * m, h + b * m);
            }
        }
    }
    for (std::int64_t c = 0; c < chains; ++c) {
        for (int q = 0; q < pairs; ++q) accepted[parity + 2 * q] += took[static_cast<std::size_t>(c * pairs + q)];
    }
}

}  // namespace ebmkit::cpu
