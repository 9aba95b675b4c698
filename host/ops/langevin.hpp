// The Langevin family's operations (host/ops/ops.hpp): a whole chain per call, so each
// backend runs it its own way (CUDA: a fused kernel, or a step recorded as a graph).
#pragma once

#include <cstdint>

#include <vector>

#include "ebmkit/langevin.hpp"
#include "kernels/langevin_chain.hpp"

namespace ebmkit::detail {

class LangevinOps {
public:
    virtual ~LangevinOps() = default;
    // Whether ctx runs chains of x [rows, D] with params in the fused chain kernel.
    virtual bool uses_fused_chain(Context& ctx, const MlpEnergy& model, std::int64_t rows,
                                  const LangevinParams& params) const = 0;
    // Whether chain() with a step_offset can be recorded into a graph (host/ops/graph.hpp):
    // it neither waits nor records a graph of its own.
    virtual bool chain_replayable(Context& ctx, const MlpEnergy& model, std::int64_t rows,
                                  const LangevinParams& params, bool trace) const = 0;
    // steps.count steps of x [rows, D] in place, keyed steps.first.. plus *step_offset
    // (nullable, a counter on ctx's device; only where chain_replayable) (labels nullable).
    // scratch: the chain's device buffers, sized by the operation and kept by the caller,
    // so that a loop of one shape allocates once (the CPU path needs none).
    virtual LangevinStats chain(Context& ctx, const MlpEnergy& model, const std::int32_t* labels, TensorView x,
                                const LangevinParams& params, Steps steps, const std::uint32_t* step_offset,
                                bool trace, Tensor& scratch) const = 0;
    // A scheduled chain (annealed Langevin): x [rows, D] in place through each segment's
    // steps at its alpha and sigma (no clamp, no MALA), keyed first_step, first_step + 1,
    // ... across the segments, row r as chain first_chain + r: the segments' chains one
    // after another (on CUDA's fused path, all of them in one launch).
    virtual void scheduled_chain(Context& ctx, const MlpEnergy& model, TensorView x,
                                 const std::vector<kernels::ChainSegment>& segments, std::uint32_t first_step,
                                 std::uint32_t first_chain) const = 0;
};

}  // namespace ebmkit::detail
