// The JEM head's plain types (include/ebmkit/jem.hpp): what the head kernels
// (kernels/jem.cuh) and their launchers (kernels/jem.hpp) exchange with host/jem.cpp.
// Plain C++.
#pragma once

#include <cstdint>

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
};

}  // namespace ebmkit::kernels
