// The CUDA sample-step operations (host/ops/sample_steps.hpp): the proposal is the Langevin
// chains' own kernel (kernels/langevin.cu, without a box: the same keyed draw and float
// update as detail::propose_row), the momentum and the test kernels/sample_steps.cu.
#include "families.hpp"
#include "kernels/langevin.hpp"
#include "kernels/sample_steps.hpp"
#include "nvtx.hpp"

namespace ebmkit::detail {

namespace {

class CudaSampleSteps final : public SampleStepOps {
public:
    void propose(Context& ctx, const float* x, const float* grad, std::int64_t rows, int d, const ChainRule& r,
                 std::uint32_t first_chain, std::uint32_t step, float* out) const override {
        const NvtxRange range("ebmkit.sample_steps.propose");
        const kernels::LangevinStep s{r.step, r.sigma, false, 0.0f, 0.0f, r.seed, first_chain, step};
        kernels::LangevinPropose::run({x, grad, rows, d, s, out}, nullptr, ctx.stream());
    }
    void momentum(Context& ctx, float* p, std::int64_t rows, int d, const ChainRule& r, std::uint32_t first_chain,
                  std::uint32_t step) const override {
        const NvtxRange range("ebmkit.sample_steps.momentum");
        kernels::sample_momentum(p, rows, d, r, first_chain, step, ctx.stream());
    }
    void accept(Context& ctx, const StepAccept& a, const ChainRule& r, std::uint32_t first_chain,
                std::uint32_t step) const override {
        const NvtxRange range("ebmkit.sample_steps.accept");
        kernels::sample_accept(a, r, first_chain, step, ctx.stream());
    }
    void restore_clamped(Context& ctx, float* x, const float* kept, const float* clamp, std::int64_t n) const override {
        const NvtxRange range("ebmkit.sample_steps.restore_clamped");
        kernels::restore_clamped(x, kept, clamp, n, ctx.stream());
    }
};

}  // namespace

const SampleStepOps& cuda_sample_step_ops() {
    static const CudaSampleSteps ops;
    return ops;
}

}  // namespace ebmkit::detail
