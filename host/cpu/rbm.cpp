#include "rbm.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "ebmkit/philox.hpp"
#include "scalar_math.hpp"

namespace ebmkit::cpu {

namespace {

// Adds scale * (v p(h|v)^T, v, p(h|v)) summed over rows into the double accumulators.
// p(h|v) of every row first (parallel over rows), then every sum over the rows in
// order (parallel over units), so the result does not depend on the thread count.
void add_statistics(const RbmParams<const float>& p, const float* v, std::int64_t rows, double scale,
                    std::vector<double>& dw, std::vector<double>& db, std::vector<double>& dc) {
    const std::int64_t m = p.hidden;
    std::vector<double> ph(static_cast<std::size_t>(rows * m));
#pragma omp parallel
    {
        std::vector<double> x;
#pragma omp for schedule(static)
        for (std::int64_t r = 0; r < rows; ++r) {
            hidden_preactivation(p, v + r * p.visible, x);
            for (std::int64_t j = 0; j < m; ++j) ph[r * m + j] = sigmoid(x[j]);
        }
    }
#pragma omp parallel
    {
        std::vector<double> row(static_cast<std::size_t>(m));
#pragma omp for schedule(static)
        for (std::int64_t i = 0; i < p.visible; ++i) {
            std::fill(row.begin(), row.end(), 0.0);
            double bias = 0.0;
            for (std::int64_t r = 0; r < rows; ++r) {
                const double vi = v[r * p.visible + i];
                if (vi == 0.0) continue;
                bias += vi;
                const double* phr = ph.data() + r * m;
#pragma omp simd
                for (std::int64_t j = 0; j < m; ++j) row[j] += vi * phr[j];
            }
            for (std::int64_t j = 0; j < m; ++j) dw[i * m + j] += scale * row[j];
            db[i] += scale * bias;
        }
#pragma omp for schedule(static)
        for (std::int64_t j = 0; j < m; ++j) {
            double sum = 0.0;
            for (std::int64_t r = 0; r < rows; ++r) sum += ph[r * m + j];
            dc[j] += scale * sum;
        }
    }
}

double log_add_exp(double a, double b) {
    if (a == -std::numeric_limits<double>::infinity()) return b;
    if (b == -std::numeric_limits<double>::infinity()) return a;
    const double m = std::max(a, b);
    return m + std::log1p(std::exp(-std::abs(a - b)));
}

}  // namespace

double visible_preactivation(const RbmParams<const float>& p, const float* h, std::int64_t i) {
    const float* wi = p.w + i * p.hidden;
    double s = 0.0;
#pragma omp simd reduction(+ : s)
    for (std::int64_t j = 0; j < p.hidden; ++j) s += static_cast<double>(wi[j]) * h[j];
    return s + p.b[i];
}

// W's rows are contiguous in j, so the loop runs over visible units with v_i != 0.
void hidden_preactivation(const RbmParams<const float>& p, const float* v, std::vector<double>& pre) {
    pre.assign(p.c, p.c + p.hidden);
    for (std::int64_t i = 0; i < p.visible; ++i) {
        const double vi = v[i];
        if (vi == 0.0) continue;
        const float* wi = p.w + i * p.hidden;
#pragma omp simd
        for (std::int64_t j = 0; j < p.hidden; ++j) pre[j] += vi * wi[j];
    }
}

RbmParams<const float> params_of(const Rbm& rbm) {
    return {rbm.visible(), rbm.hidden(), rbm.w().data<float>(), rbm.b().data<float>(), rbm.c().data<float>()};
}

RbmParams<float> params_of(Rbm& rbm) {
    return {rbm.visible(), rbm.hidden(), rbm.w().data<float>(), rbm.b().data<float>(), rbm.c().data<float>()};
}

void rbm_hidden_probs(const RbmParams<const float>& p, const float* v, std::int64_t rows, float* ph) {
#pragma omp parallel
    {
        std::vector<double> pre;
#pragma omp for schedule(static)
        for (std::int64_t r = 0; r < rows; ++r) {
            hidden_preactivation(p, v + r * p.visible, pre);
            for (std::int64_t j = 0; j < p.hidden; ++j) ph[r * p.hidden + j] = static_cast<float>(sigmoid(pre[j]));
        }
    }
}

void rbm_visible_probs(const RbmParams<const float>& p, const float* h, std::int64_t rows, float* pv) {
#pragma omp parallel for schedule(static)
    for (std::int64_t r = 0; r < rows; ++r) {
        for (std::int64_t i = 0; i < p.visible; ++i) {
            pv[r * p.visible + i] = static_cast<float>(sigmoid(visible_preactivation(p, h + r * p.hidden, i)));
        }
    }
}

void gibbs_step(const RbmParams<const float>& p, float* v, float* h, std::int64_t rows, std::uint64_t seed,
                std::uint32_t step, std::uint32_t first_chain, const float* clamp, const float* field) {
    const PhiloxKey key = philox_key(seed);
#pragma omp parallel
    {
        std::vector<double> pre;
        std::vector<float> keep;
#pragma omp for schedule(static)
        for (std::int64_t r = 0; r < rows; ++r) {
            float* vr = v + r * p.visible;
            float* hr = h + r * p.hidden;
            const std::uint32_t chain = first_chain + static_cast<std::uint32_t>(r);
            hidden_preactivation(p, vr, pre);
            bernoulli_units([&](std::int64_t j) { return sigmoid(pre[j]); }, p.hidden, hr, key, RngPurpose::GibbsHidden,
                         chain, step);
            if (clamp) keep.assign(vr, vr + p.visible);
            const float* f = field ? field + r * p.visible : nullptr;
            bernoulli_units([&](std::int64_t i) { return sigmoid(visible_preactivation(p, hr, i) + (f ? f[i] : 0.0)); },
                            p.visible, vr, key, RngPurpose::GibbsVisible, chain, step);
            // Clamped units keep their value; their draws were made and are discarded.
            if (clamp) {
                for (std::int64_t i = 0; i < p.visible; ++i) {
                    if (clamp[r * p.visible + i] != 0.0f) vr[i] = keep[i];
                }
            }
        }
    }
}

void free_energy(const RbmParams<const float>& p, const float* v, std::int64_t rows, float* f) {
#pragma omp parallel
    {
        std::vector<double> pre;
#pragma omp for schedule(static)
        for (std::int64_t r = 0; r < rows; ++r) {
            const float* vr = v + r * p.visible;
            hidden_preactivation(p, vr, pre);
            double e = 0.0;
            for (std::int64_t i = 0; i < p.visible; ++i) e -= static_cast<double>(p.b[i]) * vr[i];
            for (double x : pre) e -= softplus(x);
            f[r] = static_cast<float>(e);
        }
    }
}

void cd_gradient(const RbmParams<const float>& p, const float* data, std::int64_t data_rows, float* chains,
                 std::int64_t chain_rows, std::uint32_t k, std::uint64_t seed, std::uint32_t first_step, const RbmShard& shard,
                 const RbmParams<float>& grad) {
    std::vector<float> h(static_cast<std::size_t>(chain_rows * p.hidden));
    for (std::uint32_t s = 0; s < k; ++s) gibbs_step(p, chains, h.data(), chain_rows, seed, first_step + s, shard.first_chain);
    rbm_gradient(p, data, data_rows, chains, chain_rows, shard, grad);
}

void rbm_gradient(const RbmParams<const float>& p, const float* data, std::int64_t data_rows, const float* samples,
                  std::int64_t sample_rows, const RbmShard& shard, const RbmParams<float>& grad) {
    std::vector<double> dw(p.visible * p.hidden, 0.0), db(p.visible, 0.0), dc(p.hidden, 0.0);
    add_statistics(p, data, data_rows, 1.0 / static_cast<double>(shard.data_rows ? shard.data_rows : data_rows), dw,
                   db, dc);
    add_statistics(p, samples, sample_rows,
                   -1.0 / static_cast<double>(shard.sample_rows ? shard.sample_rows : sample_rows), dw, db, dc);
    std::transform(dw.begin(), dw.end(), grad.w, [](double x) { return static_cast<float>(x); });
    std::transform(db.begin(), db.end(), grad.b, [](double x) { return static_cast<float>(x); });
    std::transform(dc.begin(), dc.end(), grad.c, [](double x) { return static_cast<float>(x); });
}

double log_partition_exact(const RbmParams<const float>& p) {
    // Sum out the larger layer analytically, enumerate the smaller one:
    //   enumerating h: log Z = log sum_h exp(c^T h + sum_i softplus(b_i + W_i: h))
    //   enumerating v: log Z = log sum_v exp(b^T v + sum_j softplus(c_j + v^T W_:j))
    // Configurations are visited in Gray-code order, so each changes the
    // pre-activations of the other layer by one column (or row) of W.
    const bool over_hidden = p.hidden <= p.visible;
    const std::int64_t n = over_hidden ? p.hidden : p.visible;  // enumerated units
    const std::int64_t m = over_hidden ? p.visible : p.hidden;  // summed-out units
    const float* own_bias = over_hidden ? p.c : p.b;
    const float* other_bias = over_hidden ? p.b : p.c;
    // weight(e, o): coupling between enumerated unit e and summed-out unit o.
    auto weight = [&](std::int64_t e, std::int64_t o) -> double {
        return over_hidden ? p.w[o * p.hidden + e] : p.w[e * p.hidden + o];
    };
    const std::uint64_t total = std::uint64_t{1} << n;
    // A fixed number of Gray-code walks, whatever the thread count, combined in order.
    const std::int64_t walks = static_cast<std::int64_t>(std::min<std::uint64_t>(total, 64));
    std::vector<double> partial(static_cast<std::size_t>(walks), -std::numeric_limits<double>::infinity());
#pragma omp parallel for schedule(dynamic)
    for (std::int64_t t = 0; t < walks; ++t) {
        const std::uint64_t begin = total * static_cast<std::uint64_t>(t) / static_cast<std::uint64_t>(walks),
                            end = total * static_cast<std::uint64_t>(t + 1) / static_cast<std::uint64_t>(walks);
        std::vector<double> pre(other_bias, other_bias + m);
        double linear = 0.0;
        std::uint64_t state = begin ^ (begin >> 1);  // Gray code of begin
        for (std::int64_t e = 0; e < n; ++e) {
            if (state >> e & 1) {
                linear += own_bias[e];
                for (std::int64_t o = 0; o < m; ++o) pre[o] += weight(e, o);
            }
        }
        double acc = -std::numeric_limits<double>::infinity();
        for (std::uint64_t g = begin; g < end; ++g) {
            if (g != begin) {
                const int e = __builtin_ctzll(g);  // Gray code g flips bit ctz(g)
                const double sign = (state >> e & 1) ? -1.0 : 1.0;
                state ^= std::uint64_t{1} << e;
                linear += sign * own_bias[e];
                for (std::int64_t o = 0; o < m; ++o) pre[o] += sign * weight(e, o);
            }
            double term = linear;
            for (std::int64_t o = 0; o < m; ++o) term += softplus(pre[o]);
            acc = log_add_exp(acc, term);
        }
        partial[t] = acc;
    }
    double log_z = -std::numeric_limits<double>::infinity();
    for (double v : partial) log_z = log_add_exp(log_z, v);
    return log_z;
}

}  // namespace ebmkit::cpu
