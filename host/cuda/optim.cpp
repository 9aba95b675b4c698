// The CUDA optimizer operations (host/ops/optim.hpp): kernels/optim.cu.
#include "families.hpp"
#include "kernels/optim.hpp"
#include "nvtx.hpp"

namespace ebmkit::detail {

namespace {

class CudaOptim final : public OptimOps {
public:
    void step(Context& ctx, float* param, float* first, float* second, const float* grad, std::int64_t n,
              const kernels::OptimizerStep& s) const override {
        const NvtxRange range("ebmkit.optim.step");
        kernels::optimizer_step(param, first, second, grad, n, s, ctx.stream());
    }
    void momentum_ascent(Context& ctx, float* param, float* velocity, const float* grad, std::int64_t n, float lr,
                         float momentum, float decay) const override {
        const NvtxRange range("ebmkit.optim.momentum_ascent");
        kernels::momentum_ascent_step(param, velocity, grad, n, lr, momentum, decay, ctx.stream());
    }
};

}  // namespace

const OptimOps& cuda_optim_ops() {
    static const CudaOptim ops;
    return ops;
}

}  // namespace ebmkit::detail
