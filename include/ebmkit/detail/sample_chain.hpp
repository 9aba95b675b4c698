// One chain's steps of the samplers for any energy (ebmkit/sample.hpp), written once for
// the CPU loop (ebmkit/detail/sample_cpu.hpp) and the CUDA kernel (ebmkit/sample.cuh, a
// thread per chain). Target: exp(-E(x) / T).
//   ULA:  x <- x - alpha g + sigma eps,  sigma = sqrt(2 alpha T),  eps (seed, LangevinNoise, chain, step, i)
//   MALA: the same proposal x', accepted when log u <= (E(x) - E(x')) / T
//         + (|x' - x + alpha g|^2 - |x - x' + alpha g'|^2) / (2 sigma^2),  u (seed, MalaAccept, chain, step, 0)
//   HMC:  p = sqrt(m) n, n (seed, HmcMomentum, chain, step, i); L leapfrog steps of size eps on
//         H(x, p) = E(x) / T + sum_i p_i^2 / (2 m_i): p -= eps/2 g/T, then L times x += eps p/m,
//         p -= eps g/T (eps/2 the last time); accepted when log u <= H(x, p) - H(x', p'),
//         u (seed, HmcAccept, chain, step, 0). The momentum is drawn afresh each step.
// Arithmetic in float, as the energy's; the accept tests in double on the host (as the
// MLP chains' CPU twin) and float on the device.
#pragma once

#include <cmath>
#include <cstdint>

#include "ebmkit/detail/host_device.hpp"
#include "ebmkit/detail/langevin_rule.hpp"
#include "ebmkit/energy.hpp"
#include "ebmkit/philox.hpp"

namespace ebmkit {

enum class SamplerKind { Ula, Mala, Hmc };
const char* to_string(SamplerKind kind);  // "ula", "mala", "hmc" (ebmkit/names.hpp)

namespace detail {

// What a step needs, the derived constants included.
struct ChainRule {
    SamplerKind kind;
    float step;          // alpha (ULA, MALA) or eps (HMC)
    float temperature;   // T
    float sigma;         // sqrt(2 alpha T) (ULA, MALA)
    std::uint32_t leapfrog;
    const float* mass;   // [D] or null (all 1)
    std::uint64_t seed;
};

// f(i, n) for the chain's normals n_i, i < d, keyed (seed, purpose, chain, step, i): four
// per Philox block, as philox_normal draws them one at a time.
template <class F>
EBMKIT_HOST_DEVICE void each_normal(std::uint64_t seed, RngPurpose purpose, std::uint32_t chain, std::uint32_t step,
                                    int d, F f) {
    for (int i0 = 0; i0 < d; i0 += 4) {
        float n[4];
        normal4(philox4x32_10(philox_counter(purpose, chain, step, static_cast<std::uint32_t>(i0 / 4)), philox_key(seed)), n);
        for (int j = 0; j < 4 && i0 + j < d; ++j) f(i0 + j, n[j]);
    }
}

// Floats of scratch a chain takes: its gradient, the proposal and the proposal's
// gradient, the momentum (D each), then the energy's own (ebmkit/energy.hpp).
template <class E>
EBMKIT_HOST_DEVICE std::int64_t chain_scratch_floats(const E& energy) {
    return 4 * static_cast<std::int64_t>(energy.dim()) + energy_scratch_floats(energy);
}

#if defined(__CUDA_ARCH__)
using AcceptArithmetic = float;
#else
using AcceptArithmetic = double;
#endif

// The pieces of a step, one row each, shared by chain_step and the step operations on
// arrays (ebmkit/sample_steps.hpp).

// out [d] = x - alpha g + sigma eps (the Langevin proposal, eps keyed LangevinNoise).
EBMKIT_HOST_DEVICE void propose_row(const float* x, const float* grad, int d, const ChainRule& r, std::uint32_t chain,
                                    std::uint32_t step, float* out) {
    each_normal(r.seed, RngPurpose::LangevinNoise, chain, step, d,
                [&](int i, float eps) { out[i] = kernels::langevin_proposal(x[i], grad[i], r.step, r.sigma, eps); });
}

// p [d] = sqrt(m) n (HMC's momentum, n keyed HmcMomentum).
EBMKIT_HOST_DEVICE void momentum_row(int d, const ChainRule& r, std::uint32_t chain, std::uint32_t step, float* p) {
    each_normal(r.seed, RngPurpose::HmcMomentum, chain, step, d,
                [&](int i, float n) { p[i] = sqrtf(r.mass ? r.mass[i] : 1.0f) * n; });
}

// sum_i p_i^2 / (2 m_i).
EBMKIT_HOST_DEVICE AcceptArithmetic kinetic_energy(const float* p, int d, const float* mass) {
    using A = AcceptArithmetic;
    A k = 0;
    for (int i = 0; i < d; ++i) k += A(p[i]) * p[i] / (2 * A(mass ? mass[i] : 1.0f));
    return k;
}

// MALA's log a for x -> proposal (langevin_rule.hpp's ratio at the rule's temperature).
EBMKIT_HOST_DEVICE AcceptArithmetic mala_row_log_ratio(const float* x, const float* proposal, const float* grad,
                                                        const float* proposal_grad, float e, float proposal_e, int d,
                                                        const ChainRule& r) {
    using A = AcceptArithmetic;
    A forward = 0, backward = 0;
    for (int i = 0; i < d; ++i) kernels::add_mala_terms<A>(x[i], proposal[i], grad[i], proposal_grad[i], r.step, forward, backward);
    return kernels::mala_log_ratio<A>(e, proposal_e, forward, backward, r.step, r.sigma);
}

// HMC's log a = H(x, p) - H(x', p'), H = E / T + kinetic.
EBMKIT_HOST_DEVICE AcceptArithmetic hmc_row_log_ratio(float e, float proposal_e, AcceptArithmetic kinetic,
                                                       AcceptArithmetic proposal_kinetic, const ChainRule& r) {
    using A = AcceptArithmetic;
    return (A(e) - A(proposal_e)) / r.temperature + kinetic - proposal_kinetic;
}

// log u <= log a, u keyed (seed, MalaAccept or HmcAccept, chain, step, 0); log 0 = -inf,
// and a NaN ratio (a diverged proposal) is rejected.
EBMKIT_HOST_DEVICE bool accepts(AcceptArithmetic log_ratio, const ChainRule& r, std::uint32_t chain, std::uint32_t step) {
    const RngPurpose purpose = r.kind == SamplerKind::Hmc ? RngPurpose::HmcAccept : RngPurpose::MalaAccept;
    const float u = philox_uniform(r.seed, purpose, chain, step, 0);
    return AcceptArithmetic(std::log(u)) <= log_ratio;
}

// A chain's state and working rows, each [d]: x with its gradient, the proposal with
// its gradient, the momentum.
struct ChainRows {
    float* x;
    float* grad;
    float* proposal;
    float* proposal_grad;
    float* momentum;
};

// One step of one chain, whose energy e and gradient are current; afterwards they are
// the new state's. evaluate(at_proposal) returns E at the proposal into proposal_grad
// (true) or at x into grad (false). Where a thread block evaluates its chains together
// (sample_block.cuh), every thread calls this, `mine` false for threads without a chain:
// they skip the rows' work and take part in each evaluation at the same points. Returns
// whether a proposal was accepted (always for ULA; never without a chain).
template <class Evaluate>
EBMKIT_HOST_DEVICE bool chain_step_by(Evaluate evaluate, bool mine, int d, const ChainRows& c, float& e,
                                      const ChainRule& r, std::uint32_t chain, std::uint32_t step) {
    using A = AcceptArithmetic;
    if (r.kind == SamplerKind::Ula) {
        if (mine) propose_row(c.x, c.grad, d, r, chain, step, c.x);
        e = evaluate(false);
        return mine;
    }
    A log_ratio = 0;
    float proposal_energy = 0.0f;
    if (r.kind == SamplerKind::Mala) {
        if (mine) propose_row(c.x, c.grad, d, r, chain, step, c.proposal);
        proposal_energy = evaluate(true);
        if (mine) log_ratio = mala_row_log_ratio(c.x, c.proposal, c.grad, c.proposal_grad, e, proposal_energy, d, r);
    } else {
        // Leapfrog from (x, p) to (proposal, momentum).
        const float half = 0.5f * r.step / r.temperature, full = r.step / r.temperature;
        A kinetic = 0;
        if (mine) {
            momentum_row(d, r, chain, step, c.momentum);
            kinetic = kinetic_energy(c.momentum, d, r.mass);
            for (int i = 0; i < d; ++i) {
                c.momentum[i] -= half * c.grad[i];
                c.proposal[i] = c.x[i];
            }
        }
        for (std::uint32_t l = 0; l < r.leapfrog; ++l) {
            if (mine) {
                for (int i = 0; i < d; ++i) c.proposal[i] += r.step * c.momentum[i] / (r.mass ? r.mass[i] : 1.0f);
            }
            proposal_energy = evaluate(true);
            const float kick = l + 1 < r.leapfrog ? full : half;
            if (mine) {
                for (int i = 0; i < d; ++i) c.momentum[i] -= kick * c.proposal_grad[i];
            }
        }
        if (mine) log_ratio = hmc_row_log_ratio(e, proposal_energy, kinetic, kinetic_energy(c.momentum, d, r.mass), r);
    }
    if (!mine || !accepts(log_ratio, r, chain, step)) return false;
    for (int i = 0; i < d; ++i) {
        c.x[i] = c.proposal[i];
        c.grad[i] = c.proposal_grad[i];
    }
    e = proposal_energy;
    return true;
}

// One step of one chain at x [d] on its own (a thread per chain, or the CPU): scratch
// (chain_scratch_floats) holds its gradient, which is current with e, and its working rows.
template <class E>
EBMKIT_HOST_DEVICE bool chain_step(const E& energy, float* x, float& e, float* scratch, const ChainRule& r,
                                   std::uint32_t chain, std::uint32_t step) {
    const int d = energy.dim();
    const ChainRows c{x, scratch, scratch + d, scratch + 2 * d, scratch + 3 * d};
    float* own = scratch + 4 * d;
    auto evaluate = [&](bool at_proposal) {
        return at_proposal ? evaluate_energy(energy, c.proposal, c.proposal_grad, own)
                           : evaluate_energy(energy, c.x, c.grad, own);
    };
    return chain_step_by(evaluate, true, d, c, e, r, chain, step);
}

}  // namespace detail
}  // namespace ebmkit
