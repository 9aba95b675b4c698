// CPU reference of the JEM head (kernels/jem.cuh's twin), in double: per row
// E = -LSE f, p = softmax f, and dL/dlogits as kernels/jem_head.hpp states. The terms
// are added into s in the order the loss was always summed, so the CPU path's numbers
// stay the same to the last bit.
#pragma once

#include <cstdint>

#include "ebmkit/jem.hpp"

namespace ebmkit::cpu {

// The data rows (logits [n, k], labels [n]): dlogits [n, k], and into s the loss's
// l2 and cw CE + gw E terms, the cross-entropy, mean E(data) and accuracy (means over
// the n rows). A row whose label is outside [0, k) gets zero dlogits; returns the first
// such row, or -1. dlogits are of the mean over n_total rows (n on one rank; the global
// batch's rows when the ranks' gradients are summed).
std::int64_t jem_data_head(const float* logits, const std::int32_t* labels, std::int64_t n, std::int64_t n_total,
                           std::int64_t k, double cw, double gw, double l2, float* dlogits, JemStepStats& s);

// The sample rows (logits [m, k]): dlogits [m, k] (of the mean over m_total rows), and
// into s the loss's l2 and -gw E terms and mean E(samples).
void jem_sample_head(const float* logits, std::int64_t m, std::int64_t m_total, std::int64_t k, double gw, double l2,
                     float* dlogits, JemStepStats& s);

// Per row of logits [rows, k]: the softmax (prob [rows, k]) and E = -LSE f.
void softmax_rows(const float* logits, std::int64_t rows, std::int64_t k, double* prob, double* energy);

}  // namespace ebmkit::cpu
