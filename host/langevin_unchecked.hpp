// langevin_chain after its checks, for callers whose arguments are valid by
// construction (LangevinSampler's chains on labels it drew itself), so that no check
// copies labels to the host on the hot path. (host/langevin.cpp)
#pragma once

#include <cstdint>

#include "ebmkit/langevin.hpp"

namespace ebmkit::detail {

LangevinStats langevin_chain_unchecked(Context& ctx, const MlpEnergy& model, TensorView x, ConstTensorView labels,
                                       const LangevinParams& params, std::uint32_t first_step, std::uint32_t num_steps,
                                       bool trace);

}  // namespace ebmkit::detail
