// The Bernoulli unit's conditionals (docs/ARCHITECTURE.md §1), written once for the RBM
// kernels (kernels/rbm.cuh, rbm_eval.cuh, tempering.cuh) and the CPU twin (host/cpu/).
// T is the arithmetic: float in the kernels' epilogues, double in the CPU path and where
// a kernel sums in double.
//   p(unit = 1 | pre-activation z) = sigm(z); the unit is 1 when its uniform u <= p
//   softplus(z) = log(1 + e^z), the free energy's term: F(v) = -b^T v - sum_j softplus(c_j + v^T W_:j)
#pragma once

#include <cmath>

#include "ebmkit/detail/host_device.hpp"

namespace ebmkit::kernels {

// sigm(z) without overflow: e^-z for z >= 0, e^z below.
template <class T>
EBMKIT_HOST_DEVICE T sigmoid(T z) {
    return z >= T(0) ? T(1) / (T(1) + std::exp(-z)) : std::exp(z) / (T(1) + std::exp(z));
}

// log(1 + e^z) without overflow: max(z, 0) + log1p(e^-|z|).
template <class T>
EBMKIT_HOST_DEVICE T softplus(T z) {
    return (z < T(0) ? T(0) : z) + std::log1p(std::exp(-std::fabs(z)));
}

// A Bernoulli unit of probability p from its uniform u in (0, 1]: 1 when u <= p.
template <class T>
EBMKIT_HOST_DEVICE float bernoulli_unit(float u, T p) {
    return static_cast<T>(u) <= p ? 1.0f : 0.0f;
}

}  // namespace ebmkit::kernels
