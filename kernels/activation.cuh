// The MLP's hidden activations and their derivatives on the device: the shared float
// rule (include/ebmkit/detail/activation_rule.hpp; the CPU twin is host/cpu/mlp.cpp).
#pragma once

#include "ebmkit/detail/activation_rule.hpp"
#include "kernels/mlp.hpp"

namespace ebmkit::kernels {

using detail::activate;
using detail::activate_grad;
using detail::activate_grad2;
using detail::activate_grad3;

}  // namespace ebmkit::kernels
