#include "ebmkit/logsumexp.hpp"

#include "check.hpp"
#include "ops/ops.hpp"

namespace ebmkit {

void logsumexp(Context& ctx, ConstTensorView x, TensorView out) {
    constexpr const char* op = "logsumexp";
    const Device dev = ctx.device();
    detail::check_tensor(op, "x", x, {detail::any_dim, detail::any_dim}, DType::F32, dev);
    const std::int64_t rows = x.dim(0), cols = x.dim(1);
    detail::check_tensor(op, "out", out, {rows}, DType::F32, dev);
    detail::check_no_alias(op, "x", x, "out", out);
    detail::ops(ctx).logsumexp.forward(ctx, x.data<float>(), rows, cols, out.data<float>());
}

void logsumexp_backward(Context& ctx, ConstTensorView x, ConstTensorView lse, ConstTensorView dlse,
                        TensorView dx) {
    constexpr const char* op = "logsumexp_backward";
    const Device dev = ctx.device();
    detail::check_tensor(op, "x", x, {detail::any_dim, detail::any_dim}, DType::F32, dev);
    const std::int64_t rows = x.dim(0), cols = x.dim(1);
    detail::check_tensor(op, "lse", lse, {rows}, DType::F32, dev);
    detail::check_tensor(op, "dlse", dlse, {rows}, DType::F32, dev);
    detail::check_tensor(op, "dx", dx, {rows, cols}, DType::F32, dev);
    detail::check_no_alias(op, "lse", lse, "dx", dx);
    detail::check_no_alias(op, "dlse", dlse, "dx", dx);
    detail::ops(ctx).logsumexp.backward(ctx, x.data<float>(), lse.data<float>(), dlse.data<float>(), dx.data<float>(),
                                        rows, cols);
}

}  // namespace ebmkit
