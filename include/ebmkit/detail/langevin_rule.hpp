// The Langevin update and the MALA log-ratio (docs/ARCHITECTURE.md §1), written once for
// the CUDA kernels (kernels/langevin.cuh, kernels/langevin_chain.cuh), the CPU path
// (host/cpu/langevin.cpp) and the samplers for any energy (ebmkit/detail/sample_chain.hpp).
// T is the arithmetic: float on the device, double on the CPU.
//   propose: x' = x - alpha g + sigma eps, then clamped to [lo, hi] when the chain has a box
//   MALA:    log a = (E(x) - E(x')) / T + (|x' - x + alpha g|^2 - |x - x' + alpha g'|^2) / (2 sigma^2),
//            T = sigma^2 / (2 alpha): the temperature the step and the noise sample at
//            (log q(x | x') - log q(x' | x) for the Gaussian proposal of mean x - alpha g
//            and variance sigma^2), accepted when log u <= log a
#pragma once

#include <cstdint>

#include "ebmkit/detail/host_device.hpp"

namespace ebmkit::kernels {

// One step's settings: the step alpha, the noise sigma, the clamp box, and the keys of
// its draws (seed, chain first_chain + row, step).
struct LangevinStep {
    float alpha, sigma;
    bool clamp;
    float lo, hi;
    std::uint64_t seed;
    std::uint32_t first_chain, step;
};

// A stretch of a scheduled chain (annealed Langevin's levels, score.hpp): `steps` steps
// at this alpha and sigma (sigma 0: a deterministic step, such as Tweedie's).
struct ChainSegment {
    float alpha;
    float sigma;
    std::uint32_t steps;
};

// x - alpha g + sigma eps: one coordinate's proposal, before any clamp.
template <class T>
EBMKIT_HOST_DEVICE T langevin_proposal(T x, T grad, T alpha, T sigma, T eps) {
    return x - alpha * grad + sigma * eps;
}

// v clamped to [lo, hi] as std::clamp does (a NaN stays NaN, so a diverging chain shows).
template <class T>
EBMKIT_HOST_DEVICE T clamp_to_box(T v, T lo, T hi) {
    return v < lo ? lo : (hi < v ? hi : v);
}

// The same, setting outside when v lay outside the box (MALA rejects such a proposal).
template <class T>
EBMKIT_HOST_DEVICE T clamp_to_box(T v, T lo, T hi, bool& outside) {
    outside |= v < lo || v > hi;
    return clamp_to_box(v, lo, hi);
}

// One coordinate's terms of the MALA ratio, added to forward and backward:
// (x' - x + alpha g)^2 and (x - x' + alpha g')^2.
template <class T>
EBMKIT_HOST_DEVICE void add_mala_terms(T x, T proposal, T grad, T proposal_grad, T alpha, T& forward, T& backward) {
    const T a = proposal - x + alpha * grad;
    const T b = x - proposal + alpha * proposal_grad;
    forward += a * a;
    backward += b * b;
}

// log a from the energies and the summed terms, for the target exp(-E / T) whose
// temperature the proposal's step and noise fix (sigma^2 = 2 alpha T, docs/ARCHITECTURE.md §1):
//   (E(x) - E(x')) / T + (forward - backward) / (2 sigma^2) = (4 alpha (E(x) - E(x')) + forward - backward) / (2 sigma^2)
template <class T>
EBMKIT_HOST_DEVICE T mala_log_ratio(T energy, T proposal_energy, T forward, T backward, T alpha, T sigma) {
    return (T(4) * alpha * (energy - proposal_energy) + forward - backward) / (T(2) * sigma * sigma);
}

}  // namespace ebmkit::kernels
