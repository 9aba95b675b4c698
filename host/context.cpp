#include "ebmkit/context.hpp"

#include "device_memory.hpp"
#include "ebmkit/error.hpp"

namespace ebmkit {

const char* to_string(Backend backend) {
    switch (backend) {
        case Backend::Cpu: return "cpu";
        case Backend::Cuda: return "cuda";
        case Backend::Auto: return "auto";
    }
    return "?";
}

const char* to_string(Precision precision) {
    switch (precision) {
        case Precision::Fp32: return "fp32";
        case Precision::Tf32: return "tf32";
        case Precision::Bf16: return "bf16";
    }
    return "?";
}

const char* to_string(MlpPath path) {
    switch (path) {
        case MlpPath::Auto: return "auto";
        case MlpPath::Fused: return "fused";
        case MlpPath::Unfused: return "unfused";
    }
    return "?";
}

bool cuda_available() { return detail::cuda_device_present(); }

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
