// An independent rewrite of the JEM head (kernels/jem_head.hpp) in double, for the
// emulated and GPU suites: per row E = -LSE f, p = softmax f, and
//   data:    dL/df_j = ((cw - gw - 2 l2 E) p_j - cw [j = y]) / n
//   samples: dL/df_j = (gw - 2 l2 E) p_j / m
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace ebmkit::test {

struct JemRowReference {
    std::vector<double> dlogits;
    double cross_entropy = 0, energy = 0;
    bool correct = false, bad_label = false;
};

// label < 0 marks a sample row (no classifier terms); for a data row, a label outside
// [0, k) is a bad label: no CE, no label term.
inline JemRowReference jem_row_reference(const float* f, int k, int label, bool data, double cw, double gw, double l2,
                                         double scale) {
    JemRowReference r;
    const double m = *std::max_element(f, f + k);
    double s = 0;
    for (int j = 0; j < k; ++j) s += std::exp(static_cast<double>(f[j]) - m);
    const double lse = m + std::log(s);
    r.energy = -lse;
    r.bad_label = data && (label < 0 || label >= k);
    const int y = data && !r.bad_label ? label : -1;
    const double a = data ? cw - gw - 2 * l2 * r.energy : gw - 2 * l2 * r.energy;
    int best = 0;
    for (int j = 0; j < k; ++j) {
        const double p = std::exp(f[j] - lse);
        r.dlogits.push_back(scale * (a * p - (j == y ? cw : 0.0)));
        if (f[j] > f[best]) best = j;
    }
    if (y >= 0) {
        r.cross_entropy = lse - f[y];
        r.correct = best == y;
    }
    return r;
}

}  // namespace ebmkit::test
