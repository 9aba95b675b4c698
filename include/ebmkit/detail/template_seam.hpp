// The backend seam of the template families: operations on a user's functor (the
// samplers for any energy, ebmkit/sample.hpp) are instantiated in the user's translation
// unit, so they cannot be registered in detail::ops (host/ops/ops.hpp) as the compiled
// families are. This is the one place they choose a backend from the Context
// (docs/ARCHITECTURE.md §4).
#pragma once

#include "ebmkit/context.hpp"

namespace ebmkit::detail {

template <class OnCpu, class OnCuda>
decltype(auto) on_backend(const Context& ctx, OnCpu&& on_cpu, OnCuda&& on_cuda) {
    if (ctx.backend() == Backend::Cuda) return on_cuda();
    return on_cpu();
}

// A CUDA context reached a template family's call that was compiled without nvcc.
[[noreturn]] void fail_uncompiled_cuda(const char* op);

}  // namespace ebmkit::detail
