// The CUDA LogSumExp operations (host/ops/logsumexp.hpp): kernels/logsumexp.cu.
#include "families.hpp"
#include "kernels/logsumexp.hpp"
#include "nvtx.hpp"

namespace ebmkit::detail {

namespace {

class CudaLogsumexp final : public LogsumexpOps {
public:
    void forward(Context& ctx, const float* x, std::int64_t rows, std::int64_t cols, float* out) const override {
        const NvtxRange range("ebmkit.logsumexp.forward");
        kernels::logsumexp_forward(x, out, rows, cols, ctx.stream());
    }
    void backward(Context& ctx, const float* x, const float* lse, const float* dlse, float* dx, std::int64_t rows,
                  std::int64_t cols) const override {
        const NvtxRange range("ebmkit.logsumexp.backward");
        kernels::logsumexp_backward(x, lse, dlse, dx, rows, cols, ctx.stream());
    }
};

}  // namespace

const LogsumexpOps& cuda_logsumexp_ops() {
    static const CudaLogsumexp ops;
    return ops;
}

}  // namespace ebmkit::detail
