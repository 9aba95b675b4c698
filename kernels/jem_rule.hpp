// The JEM head's gradient (kernels/jem_head.hpp states the loss), written once for the
// head kernel (kernels/jem.cuh, also the fused MLP's epilogue; T = float) and the CPU
// twin (host/cpu/jem.cpp; T = double). For one row with E = -LSE f, p = softmax f:
//   data rows:   dL/df_j = cw (p_j - [j = y]) - gw p_j - 2 l2 E p_j
//   sample rows: dL/df_j = gw p_j - 2 l2 E p_j
// each divided by the rows of the global batch's set (the mean's divisor).
#pragma once

#include "ebmkit/detail/host_device.hpp"

namespace ebmkit::kernels {

template <class T>
EBMKIT_HOST_DEVICE T jem_data_dlogit(T p, bool is_label, T energy, T cw, T gw, T l2) {
    return cw * (p - (is_label ? T(1) : T(0))) - gw * p - T(2) * l2 * energy * p;
}

template <class T>
EBMKIT_HOST_DEVICE T jem_sample_dlogit(T p, T energy, T gw, T l2) {
    return gw * p - T(2) * l2 * energy * p;
}

}  // namespace ebmkit::kernels
