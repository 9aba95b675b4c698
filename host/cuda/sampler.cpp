// The CUDA sampler operations (host/ops/sampler.hpp): kernels/sampler.cu.
#include "families.hpp"
#include "kernels/sampler.hpp"
#include "nvtx.hpp"

namespace ebmkit::detail {

namespace {

class CudaSampler final : public SamplerOps {
public:
    void uniform_rows(Context& ctx, float* x, std::int64_t rows, std::int64_t dim, float lo, float hi,
                      std::uint32_t first_chain, StepKey step) const override {
        const NvtxRange range("ebmkit.sampler.uniform_rows");
        kernels::UniformRows::run({x, rows, dim, lo, hi, ctx.seed(), first_chain, step.base, step.counter}, nullptr,
                                  ctx.stream());
    }
    void draw_classes(Context& ctx, std::int64_t classes, StepKey round, std::int64_t rows, std::int32_t* out,
                      std::uint32_t first_row) const override {
        const NvtxRange range("ebmkit.sampler.draw_classes");
        kernels::draw_classes(ctx.seed(), classes, round.base, rows, out, first_row, round.counter, ctx.stream());
    }
    void replay_draw(Context& ctx, const kernels::ReplayShape& s, const float* buffer, std::int64_t batch, float reinit,
                     StepKey round, const std::int32_t* row_classes, float* out, std::int32_t* slots) const override {
        const NvtxRange range("ebmkit.sampler.replay_draw");
        kernels::ReplayDraw::run({s, buffer, batch, reinit, round.base, row_classes, out, slots, round.counter}, nullptr,
                                 ctx.stream());
    }
    void replay_store(Context& ctx, const kernels::ReplayShape& s, float* buffer, std::int64_t batch,
                      StepKey round, const std::int32_t* slots, const std::int32_t* row_classes, const float* samples,
                      std::int32_t* scratch, const std::int32_t* skip) const override {
        const NvtxRange range("ebmkit.sampler.replay_store");
        kernels::ReplayStore::run({s, buffer, batch, round.base, slots, row_classes, samples, round.counter, skip},
                                  scratch, ctx.stream());
    }
};

}  // namespace

const SamplerOps& cuda_sampler_ops() {
    static const CudaSampler ops;
    return ops;
}

}  // namespace ebmkit::detail
