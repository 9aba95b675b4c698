// The JEM head's plain types (include/ebmkit/jem.hpp): what the head kernels
// (kernels/jem.cuh) and their launchers (kernels/jem.hpp) exchange with host/jem.cpp.
// Plain C++.
#pragma once

#include <math.h>

#include <cstdint>

#include "ebmkit/detail/host_device.hpp"

namespace ebmkit::kernels {

// dL/dlogits of one set of rows (the batch's data, or its samples) of
//   L = cw CE + gw (mean E(data) - mean E(samples)) + l2 mean(E(data)^2 + E(samples)^2)
// with E = -LSE f and p = softmax f: scale times kernels/jem_rule.hpp's rule,
// scale = 1 / rows of the set.
struct JemHeadWeights {
    float classifier, generative, energy_l2;
    float scale;
    bool data;  // rows with labels (data) or without (samples)
};

// One row's terms: CE = LSE f - f_y and the argmax's hit (data rows), E = -LSE f;
// bad_label = 1 when the row's label lies outside [0, K) (its CE and label term are 0).
struct JemRowTerms {
    float cross_entropy, energy;
    std::int32_t correct, bad_label;
};

// A batch's sums in double, the one thing a JEM iteration copies to the host.
struct JemBatchSums {
    double cross_entropy, energy_data, energy_data_sq, correct, energy_sample, energy_sample_sq;
    std::int64_t first_bad_label;  // the lowest data row with a bad label, or -1
    std::int32_t skip;             // the guard's verdict (JemGuard): 1 where the iteration must not be kept
    std::int32_t unused;
};

// The iteration's means over n data rows and m samples (m may be 0) and its loss
// L = cw CE + gw (E_data - E_sample) + l2 (mean E_data^2 + mean E_sample^2).
struct JemMeans {
    double loss, cross_entropy, energy_data, energy_sample, accuracy;
};

EBMKIT_HOST_DEVICE JemMeans jem_means(const JemBatchSums& b, std::int64_t n, std::int64_t m, double cw, double gw,
                                      double l2) {
    JemMeans s{};
    s.cross_entropy = b.cross_entropy / n;
    s.energy_data = b.energy_data / n;
    s.accuracy = b.correct / n;
    s.energy_sample = m ? b.energy_sample / m : 0.0;
    s.loss = cw * s.cross_entropy + gw * (s.energy_data - s.energy_sample) +
             l2 * (b.energy_data_sq / n + (m ? b.energy_sample_sq / m : 0.0));
    return s;
}

// The trainer's guard (JemTrainOptions::max_energy_gap): an iteration is kept when its
// loss is finite and its energy gap |E_data - E_sample| is at most max_gap.
EBMKIT_HOST_DEVICE bool jem_keeps(double loss, double energy_data, double energy_sample, double max_gap) {
    return isfinite(loss) && !(fabs(energy_data - energy_sample) > max_gap);
}

// What the batch sums also decide on the device, for a trainer that gates its store and
// step there (host/jem.cpp's replayed iteration): JemBatchSums::skip = 1 for a bad label
// or when jem_keeps fails on the means (jem_means' weights), else 0.
struct JemGuard {
    double classifier, generative, energy_l2, max_energy_gap;
};

EBMKIT_HOST_DEVICE std::int32_t jem_skip(const JemBatchSums& b, std::int64_t n, std::int64_t m, const JemGuard& g) {
    const JemMeans mean = jem_means(b, n, m, g.classifier, g.generative, g.energy_l2);
    const bool keep =
        b.first_bad_label < 0 && jem_keeps(mean.loss, mean.energy_data, mean.energy_sample, g.max_energy_gap);
    return keep ? 0 : 1;
}

}  // namespace ebmkit::kernels
