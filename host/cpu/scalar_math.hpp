// Numerically stable scalar functions shared by the CPU reference path (double).
#pragma once

#include <algorithm>
#include <cmath>

namespace ebmkit::cpu {

inline double sigmoid(double z) { return z >= 0 ? 1.0 / (1.0 + std::exp(-z)) : std::exp(z) / (1.0 + std::exp(z)); }

// log(1 + e^z) without overflow.
inline double softplus(double z) { return std::max(z, 0.0) + std::log1p(std::exp(-std::abs(z))); }

}  // namespace ebmkit::cpu
