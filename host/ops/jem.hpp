// The JEM head's operation (host/ops/ops.hpp): one iteration's loss terms and parameter
// gradient, kernels/jem_head.hpp's math.
#pragma once

#include <cstdint>

#include "ebmkit/jem.hpp"

namespace ebmkit::detail {

// The loss's weights, the global batch's row counts the gradient is a mean over, and
// the guard's bound (JemTrainOptions::max_energy_gap).
struct JemLoss {
    double classifier, generative, energy_l2;
    std::int64_t data_rows_total, sample_rows_total;
    double max_energy_gap;
};

// What an iteration's one copy brings back.
struct JemReadout {
    JemStepStats stats;
    std::int64_t first_bad_label = -1;  // the first data row with a label outside [0, K), or -1
    bool skip = false;                  // the guard's verdict on this rank's statistics
};

class JemOps {
public:
    virtual ~JemOps() = default;
    // Queues the terms of x [n, D] with labels [n] and samples [m, D] (m may be 0) and
    // grad = the gradient of the loss (a row with a bad label left out of both); their
    // sums stay in scratch, the caller's, kept between iterations. Returns the word in
    // scratch (on ctx's device) that receives the guard's verdict: 1 for a bad label, or
    // where kernels/jem_head.hpp's jem_keeps fails on this rank's means, else 0.
    virtual const std::int32_t* terms_and_gradient(Context& ctx, const MlpEnergy& model, ConstTensorView x,
                                                   ConstTensorView labels, ConstTensorView samples,
                                                   const JemLoss& loss, MlpEnergy& grad, Tensor& scratch) const = 0;
    // What the last terms_and_gradient on scratch (n data rows, m samples) left there: the
    // one copy to the host, and the host's one wait.
    virtual JemReadout read_stats(Context& ctx, const Tensor& scratch, const JemLoss& loss, std::int64_t n,
                                  std::int64_t m) const = 0;
};

}  // namespace ebmkit::detail
