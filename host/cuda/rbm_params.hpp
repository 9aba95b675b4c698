// The CUDA launchers' view of an Rbm (host/cuda/rbm.cpp, host/cuda/tempering.cpp).
#pragma once

#include "ebmkit/context.hpp"
#include "ebmkit/rbm.hpp"
#include "kernels/rbm.hpp"

namespace ebmkit::detail {

// Device pointers of the parameters and the context's precision for the products.
inline kernels::RbmParams rbm_params(const Context& ctx, const Rbm& rbm) {
    return {rbm.w().data<float>(), rbm.b().data<float>(), rbm.c().data<float>(), rbm.visible(), rbm.hidden(),
            ctx.precision()};
}

}  // namespace ebmkit::detail
