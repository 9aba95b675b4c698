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

// Floats of scratch a chain of dimension d takes: its gradient, the proposal and the
// proposal's gradient, the momentum.
EBMKIT_HOST_DEVICE std::int64_t chain_scratch_floats(std::int64_t d) { return 4 * d; }

#if defined(__CUDA_ARCH__)
using AcceptArithmetic = float;
#else
using AcceptArithmetic = double;
#endif

// One step of one chain at x [d], whose energy e and gradient (scratch[0 .. d)) are
// current; afterwards they are the new state's. Returns whether a proposal was accepted
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
    if (r.kind == SamplerKind::Ula) {
        each_normal(r.seed, RngPurpose::LangevinNoise, chain, step, d,
                    [&](int i, float eps) { x[i] = kernels::langevin_proposal(x[i], grad[i], r.step, r.sigma, eps); });
        e = energy(x, grad);
        return true;
    }
    A forward = 0, backward = 0, log_ratio = 0;
    float proposal_energy = 0.0f;
    if (r.kind == SamplerKind::Mala) {
        each_normal(r.seed, RngPurpose::LangevinNoise, chain, step, d, [&](int i, float eps) {
            proposal[i] = kernels::langevin_proposal(x[i], grad[i], r.step, r.sigma, eps);
        });
        proposal_energy = energy(proposal, proposal_grad);
        for (int i = 0; i < d; ++i) {
            kernels::add_mala_terms<A>(x[i], proposal[i], grad[i], proposal_grad[i], r.step, forward, backward);
        }
        log_ratio = kernels::mala_log_ratio<A>(e, proposal_energy, forward, backward, r.step, r.sigma);
    } else {
        // Leapfrog from (x, p) to (proposal, momentum); the kinetic energies before and after.
        A kinetic = 0, proposal_kinetic = 0;
        const float half = 0.5f * r.step / r.temperature, full = r.step / r.temperature;
        each_normal(r.seed, RngPurpose::HmcMomentum, chain, step, d, [&](int i, float n) {
            const float m = r.mass ? r.mass[i] : 1.0f;
            const float p = sqrtf(m) * n;
            kinetic += A(p) * p / (2 * A(m));
            momentum[i] = p - half * grad[i];
            proposal[i] = x[i];
        });
        for (std::uint32_t l = 0; l < r.leapfrog; ++l) {
            for (int i = 0; i < d; ++i) proposal[i] += r.step * momentum[i] / (r.mass ? r.mass[i] : 1.0f);
            proposal_energy = energy(proposal, proposal_grad);
            const float kick = l + 1 < r.leapfrog ? full : half;
            for (int i = 0; i < d; ++i) momentum[i] -= kick * proposal_grad[i];
        }
        for (int i = 0; i < d; ++i) {
            const float m = r.mass ? r.mass[i] : 1.0f;
            proposal_kinetic += A(momentum[i]) * momentum[i] / (2 * A(m));
        }
        log_ratio = (A(e) - A(proposal_energy)) / r.temperature + kinetic - proposal_kinetic;
    }
    const RngPurpose accept = r.kind == SamplerKind::Mala ? RngPurpose::MalaAccept : RngPurpose::HmcAccept;
    const float u = philox_uniform(r.seed, accept, chain, step, 0);
    // log u <= log a, with log 0 = -inf: a NaN ratio (a diverged proposal) is rejected.
    if (!(A(std::log(u)) <= log_ratio)) return false;
    for (int i = 0; i < d; ++i) {
        x[i] = proposal[i];
        grad[i] = proposal_grad[i];
    }
    e = proposal_energy;
    return true;
}

}  // namespace detail
}  // namespace ebmkit
