#include "ebmkit/context.hpp"

#include "device_memory.hpp"
#include "ebmkit/error.hpp"
#include "ops/ops.hpp"

namespace ebmkit {

bool cuda_available() { return detail::cuda_device_present(); }

// The one place the backend is chosen (host/ops/ops.hpp): a context resolved Auto at
// construction, so its backend is Cpu or Cuda here.
const detail::Ops& detail::ops(const Context& ctx) {
    return ctx.backend() == Backend::Cuda ? cuda_ops() : cpu_ops();
}

TransferCounts& detail::transfer_counts() {
    static thread_local TransferCounts counts;
    return counts;
}

TransferCounts Context::transfers() const {
    const TransferCounts& now = detail::transfer_counts();
    return {now.copies - transfers_at_reset_.copies, now.synchronizations - transfers_at_reset_.synchronizations};
}

void Context::reset_transfers() { transfers_at_reset_ = detail::transfer_counts(); }

Context::Context(Backend backend, std::uint64_t seed, Precision precision)
    : backend_(backend), seed_(seed), precision_(precision), transfers_at_reset_(detail::transfer_counts()) {
    if (backend_ == Backend::Auto) backend_ = cuda_available() ? Backend::Cuda : Backend::Cpu;
    if (backend_ == Backend::Cuda && !cuda_available()) {
        throw Error("Context: backend cuda requested but no CUDA device is available (or ebmkit was built "
                    "without CUDA)");
    }
}

}  // namespace ebmkit
