// The sample-step family's operations (host/ops/ops.hpp): the samplers' proposal, momentum
// draw and Metropolis test on arrays (include/ebmkit/sample_steps.hpp), each row by the
// rules of include/ebmkit/detail/sample_chain.hpp, chain first_chain + row.
#pragma once

#include <cstdint>

#include "ebmkit/context.hpp"
#include "ebmkit/detail/sample_chain.hpp"

namespace ebmkit::detail {

// One Metropolis test per row: x [rows, d], energy [rows] and grad [rows, d] take the
// proposal's where accepted[r] becomes 1. The momenta (HMC only) are [rows, d].
struct StepAccept {
    float* x;
    float* energy;
    float* grad;
    const float* proposal;
    const float* proposal_energy;
    const float* proposal_grad;
    const float* momentum;           // HMC: the drawn momentum
    const float* proposal_momentum;  // HMC: the momentum at the leapfrog's end
    std::int32_t* accepted;
    std::int64_t rows;
    int d;
};

// Row `row`'s test, written once for the CPU twin and the kernel.
EBMKIT_HOST_DEVICE void accept_row(const StepAccept& a, std::int64_t row, const ChainRule& r, std::uint32_t chain,
                                   std::uint32_t step) {
    const int d = a.d;
    const std::int64_t at = row * d;
    const AcceptArithmetic log_ratio =
        r.kind == SamplerKind::Hmc
            ? hmc_row_log_ratio(a.energy[row], a.proposal_energy[row], kinetic_energy(a.momentum + at, d, r.mass),
                                kinetic_energy(a.proposal_momentum + at, d, r.mass), r)
            : mala_row_log_ratio(a.x + at, a.proposal + at, a.grad + at, a.proposal_grad + at, a.energy[row],
                                 a.proposal_energy[row], d, r);
    const bool yes = accepts(log_ratio, r, chain, step);
    a.accepted[row] = yes ? 1 : 0;
    if (!yes) return;
    for (int i = 0; i < d; ++i) {
        a.x[at + i] = a.proposal[at + i];
        a.grad[at + i] = a.proposal_grad[at + i];
    }
    a.energy[row] = a.proposal_energy[row];
}

class SampleStepOps {
public:
    virtual ~SampleStepOps() = default;
    // out [rows, d] = x - alpha grad + sigma eps (out may be x).
    virtual void propose(Context& ctx, const float* x, const float* grad, std::int64_t rows, int d, const ChainRule& r,
                         std::uint32_t first_chain, std::uint32_t step, float* out) const = 0;
    // p [rows, d] = sqrt(m) n.
    virtual void momentum(Context& ctx, float* p, std::int64_t rows, int d, const ChainRule& r, std::uint32_t first_chain,
                          std::uint32_t step) const = 0;
    virtual void accept(Context& ctx, const StepAccept& a, const ChainRule& r, std::uint32_t first_chain,
                        std::uint32_t step) const = 0;
    // x [n] = clamp ? kept : x: a clamped chain's fixed coordinates put back after a step.
    virtual void restore_clamped(Context& ctx, float* x, const float* kept, const float* clamp, std::int64_t n) const = 0;
};

}  // namespace ebmkit::detail
