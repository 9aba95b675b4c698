// The sampler family's operations (host/ops/ops.hpp): uniform starts, class draws and
// the replay buffer's draw and store (kernels/sampler_rule.hpp states the rules).
#pragma once

#include <cstdint>

#include "ebmkit/context.hpp"
#include "graph.hpp"
#include "kernels/sampler_rule.hpp"

namespace ebmkit::detail {

class SamplerOps {
public:
    virtual ~SamplerOps() = default;
    // x [rows, dim] = U(lo, hi) keyed (ctx.seed(), ChainInit, first_chain + r, step).
    virtual void uniform_rows(Context& ctx, float* x, std::int64_t rows, std::int64_t dim, float lo, float hi,
                              std::uint32_t first_chain, StepKey step) const = 0;
    // out [rows] = uniform classes of round, rows first_row...
    virtual void draw_classes(Context& ctx, std::int64_t classes, StepKey round, std::int64_t rows,
                              std::int32_t* out, std::uint32_t first_row) const = 0;
    virtual void replay_draw(Context& ctx, const kernels::ReplayShape& s, const float* buffer, std::int64_t batch,
                             float reinit, StepKey round, const std::int32_t* row_classes, float* out,
                             std::int32_t* slots) const = 0;
    // scratch [s.size + batch] on ctx's device, the store's workspace (the last row bound
    // for each slot, then each row's target slot), kept by the caller so that a loop
    // allocates once. Nothing is stored when skip (nullable, on ctx's device) is nonzero.
    virtual void replay_store(Context& ctx, const kernels::ReplayShape& s, float* buffer, std::int64_t batch,
                              StepKey round, const std::int32_t* slots, const std::int32_t* row_classes,
                              const float* samples, std::int32_t* scratch, const std::int32_t* skip) const = 0;
};

}  // namespace ebmkit::detail
