/// @file
/// Row-wise LogSumExp and its gradient.
///   out[r]      = log sum_k exp(x[r, k])   (max-shifted)
///   dx[r, k]    = dout[r] * softmax(x[r, :])[k] = dout[r] * exp(x[r, k] - out[r])
/// Special values: a row of all -inf gives -inf and a zero gradient; any NaN gives
/// NaN; a +inf (and no NaN) gives +inf, with gradient 0 at the finite entries and
/// NaN at the +inf entries (the derivative is undefined there).
#pragma once

#include "ebmkit/context.hpp"
#include "ebmkit/tensor.hpp"

namespace ebmkit {

/// x: [N, K] float32, K >= 1; out: [N].
void logsumexp(Context& ctx, ConstTensorView x, TensorView out);

/// x: [N, K]; lse: [N], the forward result; dlse: [N]; dx: [N, K] (overwritten).
void logsumexp_backward(Context& ctx, ConstTensorView x, ConstTensorView lse, ConstTensorView dlse,
                        TensorView dx);

}  // namespace ebmkit
