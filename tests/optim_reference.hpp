// An independent rewrite of the optimizer rules in double (PyTorch's torch.optim
// formulas), the reference of the optimizer tests on every backend.
#pragma once

#include <algorithm>
#include <cmath>

#include "kernels/optim_rule.hpp"

namespace ebmkit::test {

using kernels::OptimizerStep;

// One step of the rule in double (PyTorch's torch.optim formulas), at step t.
inline void reference_optimizer_step(OptimizerKind rule, double& p, double& m, double& v, double g, const OptimizerStep& s) {
    g += double(s.weight_decay) * p;
    if (rule == OptimizerKind::Sgd) {
        m = s.momentum * m + g;
        p -= s.lr * m;
    } else if (rule == OptimizerKind::Adam) {
        m = s.beta1 * m + (1 - double(s.beta1)) * g;
        v = s.beta2 * v + (1 - double(s.beta2)) * g * g;
        p -= s.lr * (m / s.first_correction) / (std::sqrt(v / s.second_correction) + s.eps);
    } else {
        m = s.beta1 * m + (1 - double(s.beta1)) * g;
        v = std::max(s.beta2 * v, std::abs(g) + s.eps);
        p -= s.lr / s.first_correction * m / v;
    }
}

}  // namespace ebmkit::test
