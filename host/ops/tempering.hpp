// Parallel tempering's operation (host/ops/ops.hpp): sweeps of every replica's chains
// with replica swaps between neighbours.
#pragma once

#include <cstdint>

#include "ebmkit/rbm.hpp"

namespace ebmkit::detail {

class TemperingOps {
public:
    virtual ~TemperingOps() = default;
    // sweeps.count sweeps (keyed sweeps.first..) of replicas x chains chains v, h (replica-major);
    // betas on the host, betas_on_device on ctx's device; accepted [replicas - 1]
    // counters on ctx's device.
    virtual void sweeps(Context& ctx, const Rbm& rbm, const float* betas, const float* betas_on_device, int replicas,
                        std::int64_t chains, float* v, float* h, Steps sweeps, std::uint64_t* accepted) const = 0;
};

}  // namespace ebmkit::detail
