#include "jem.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/jem_rule.hpp"

namespace ebmkit::cpu {

void softmax_rows(const float* logits, std::int64_t rows, std::int64_t k, double* prob, double* energy) {
    for (std::int64_t r = 0; r < rows; ++r) {
        const float* f = logits + r * k;
        const double m = *std::max_element(f, f + k);
        double s = 0;
        for (std::int64_t j = 0; j < k; ++j) s += std::exp(f[j] - m);
        const double lse = m + std::log(s);
        energy[r] = -lse;
        for (std::int64_t j = 0; j < k; ++j) prob[r * k + j] = std::exp(f[j] - lse);
    }
}

std::int64_t jem_data_head(const float* logits, const std::int32_t* labels, std::int64_t n, std::int64_t n_total,
                           std::int64_t k, double cw, double gw, double l2, float* dlogits, JemStepStats& s) {
    std::vector<double> prob(static_cast<std::size_t>(n * k)), energy(static_cast<std::size_t>(n));
    softmax_rows(logits, n, k, prob.data(), energy.data());
    std::int64_t first_bad = -1;
    for (std::int64_t r = 0; r < n; ++r) {
        const std::int32_t label = labels[r];
        if (label < 0 || label >= k) {
            if (first_bad < 0) first_bad = r;
            std::fill_n(dlogits + r * k, k, 0.0f);
            continue;
        }
        const double e = energy[r];
        s.cross_entropy += (-e - logits[r * k + label]) / n;
        s.energy_data += e / n;
        s.loss += l2 * e * e / n;
        std::int64_t best = 0;
        for (std::int64_t j = 0; j < k; ++j) {
            const double p = prob[r * k + j];
            if (p > prob[r * k + best]) best = j;
            dlogits[r * k + j] = static_cast<float>(kernels::jem_data_dlogit(p, j == label, e, cw, gw, l2) / n_total);
        }
        s.accuracy += static_cast<double>(best == label) / n;
    }
    s.loss += cw * s.cross_entropy + gw * s.energy_data;
    return first_bad;
}

void jem_sample_head(const float* logits, std::int64_t m, std::int64_t m_total, std::int64_t k, double gw, double l2,
                     float* dlogits, JemStepStats& s) {
    std::vector<double> prob(static_cast<std::size_t>(m * k)), energy(static_cast<std::size_t>(m));
    softmax_rows(logits, m, k, prob.data(), energy.data());
    for (std::int64_t r = 0; r < m; ++r) {
        const double e = energy[r];
        s.energy_sample += e / m;
        s.loss += l2 * e * e / m;
        for (std::int64_t j = 0; j < k; ++j) {
            const double p = prob[r * k + j];
            dlogits[r * k + j] = static_cast<float>(kernels::jem_sample_dlogit(p, e, gw, l2) / m_total);
        }
    }
    s.loss -= gw * s.energy_sample;
}

}  // namespace ebmkit::cpu
