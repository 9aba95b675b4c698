// The JEM head's operation (host/ops/ops.hpp): one iteration's loss terms and parameter
// gradient, kernels/jem_head.hpp's math.
#pragma once

#include <cstdint>

#include "ebmkit/jem.hpp"

namespace ebmkit::detail {

// The loss's weights, and the global batch's row counts the gradient is a mean over.
struct JemLoss {
    double classifier, generative, energy_l2;
    std::int64_t data_rows_total, sample_rows_total;
};

class JemOps {
public:
    virtual ~JemOps() = default;
    // The statistics of x [n, D] with labels [n] and samples [m, D] (m may be 0), and
    // grad = the gradient of the loss; first_bad_label = the first row whose label is
    // outside [0, K), or -1 (its terms are left out). scratch is the caller's, kept
    // between iterations (the CUDA path's row terms and sums; unused on the CPU).
    virtual JemStepStats terms_and_gradient(Context& ctx, const MlpEnergy& model, ConstTensorView x,
                                            ConstTensorView labels, ConstTensorView samples, const JemLoss& loss,
                                            MlpEnergy& grad, Tensor& scratch,
                                            std::int64_t& first_bad_label) const = 0;
};

}  // namespace ebmkit::detail
