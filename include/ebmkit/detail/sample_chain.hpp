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

// One step of one chain at x [d], whose energy e and gradient (scratch[0 .. d)) are
// current (scratch: chain_scratch_floats); afterwards they are the new state's. Returns whether a proposal was accepted
// (always for ULA).
template <class E>
EBMKIT_HOST_DEVICE bool chain_step(const E& energy, float* x, float& e, float* scratch, const ChainRule& r,
                                   std::uint32_t chain, std::uint32_t step) {
    using A = AcceptArithmetic;
    const int d = energy.dim();
    float* grad = scratch;
    float* proposal = scratch + d;
    float* proposal_grad = scratch + 2 * d;
    float* momentum = scratch + 3 * d;
    float* own = scratch + 4 * d;
    if (r.kind == SamplerKind::Ula) {
        propose_row(x, grad, d, r, chain, step, x);
        e = evaluate_energy(energy, x, grad, own);
        return true;
    }
    A log_ratio = 0;
    float proposal_energy = 0.0f;
    if (r.kind == SamplerKind::Mala) {
        propose_row(x, grad, d, r, chain, step, proposal);
        proposal_energy = evaluate_energy(energy, proposal, proposal_grad, own);
        log_ratio = mala_row_log_ratio(x, proposal, grad, proposal_grad, e, proposal_energy, d, r);
    } else {
        // Leapfrog from (x, p) to (proposal, momentum).
        const float half = 0.5f * r.step / r.temperature, full = r.step / r.temperature;
        momentum_row(d, r, chain, step, momentum);
        const A kinetic = kinetic_energy(momentum, d, r.mass);
        for (int i = 0; i < d; ++i) {
            momentum[i] -= half * grad[i];
            proposal[i] = x[i];
        }
        for (std::uint32_t l = 0; l < r.leapfrog; ++l) {
            for (int i = 0; i < d; ++i) proposal[i] += r.step * momentum[i] / (r.mass ? r.mass[i] : 1.0f);
            proposal_energy = evaluate_energy(energy, proposal, proposal_grad, own);
            const float kick = l + 1 < r.leapfrog ? full : half;
            for (int i = 0; i < d; ++i) momentum[i] -= kick * proposal_grad[i];
        }
        log_ratio = hmc_row_log_ratio(e, proposal_energy, kinetic, kinetic_energy(momentum, d, r.mass), r);
    }
    if (!accepts(log_ratio, r, chain, step)) return false;
    for (int i = 0; i < d; ++i) {
        x[i] = proposal[i];
        grad[i] = proposal_grad[i];
    }
    e = proposal_energy;
    return true;
}

}  // namespace detail
}  // namespace ebmkit
