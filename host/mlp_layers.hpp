// The CUDA launchers' view of an MlpEnergy (shared by host/mlp.cpp and host/langevin.cpp).
#pragma once

#if EBMKIT_WITH_CUDA
#include "ebmkit/context.hpp"
#include "ebmkit/mlp.hpp"
#include "kernels/mlp.hpp"

namespace ebmkit::detail {

// Widths, activation, device parameter pointers and the context's precision.
kernels::MlpLayers mlp_layers(const Context& ctx, const MlpEnergy& model);

}  // namespace ebmkit::detail
#endif
