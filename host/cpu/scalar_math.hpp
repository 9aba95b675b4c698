// Numerically stable scalar functions of the CPU reference path, in double: the
// kernels' own (kernels/gibbs_rule.hpp), so that both sides compute one formula.
#pragma once

#include "kernels/gibbs_rule.hpp"

namespace ebmkit::cpu {

inline double sigmoid(double z) { return kernels::sigmoid(z); }
inline double softplus(double z) { return kernels::softplus(z); }

}  // namespace ebmkit::cpu
