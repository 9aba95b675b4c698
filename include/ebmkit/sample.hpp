/// @file
/// Samplers for any energy (the concept: ebmkit/energy.hpp; shipped energies:
/// ebmkit/energies.hpp): unadjusted Langevin (ULA), MALA and HMC, every row of x [N, D]
/// a chain, all steps in one call, the target exp(-E(x) / T).
///
/// The convention, one for every sampler in ebmkit:
///   x' = x - alpha grad E(x) + sigma eps,   sigma = sqrt(2 alpha T),   eps ~ N(0, I)
/// is Langevin dynamics at temperature T discretised with step alpha. ULA takes x' as it is
/// and so samples a distribution a step's bias away from exp(-E / T) (for a Gaussian
/// E = x^T P x / 2 the chain's covariance is T (P - alpha P^2 / 2)^-1, not T P^-1; the
/// test SampleConventions.UlaReachesTheDiscretisedChainsCovariance holds both); MALA
/// corrects the bias with a Metropolis test; HMC (step eps = `step`, `leapfrog` steps,
/// per-dimension `mass`) proposes by Hamiltonian dynamics and corrects the same way.
/// The steps of detail/sample_chain.hpp, keyed by Philox exactly as the MLP chains are
/// (ebmkit/langevin.hpp), so a batch split into parts with matching first_chain gives
/// the same samples as the whole.
///
/// On a CPU context the chains run on the host; on a CUDA context a thread per chain runs
/// on the context's stream (detail/sample_cuda.cuh). The shipped energies' calls are
/// compiled in the library and run on either backend; a call on your own energy runs on
/// CUDA where nvcc compiles it (a .cu file including this header), and a host-only build
/// of it throws on a CUDA context, saying so.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ebmkit/context.hpp"
#include "ebmkit/detail/sample_chain.hpp"
#include "ebmkit/diagnostics.hpp"
#include "ebmkit/energy.hpp"
#include "ebmkit/steps.hpp"
#include "ebmkit/tensor.hpp"

namespace ebmkit {

/// A sampler and its settings for sample(): x' = x - alpha grad E(x) + sigma eps with
/// sigma = sqrt(2 alpha T) (ULA; MALA adds the Metropolis test), or HMC's leapfrog at
/// temperature T.
struct SampleParams {
    SamplerKind kind = SamplerKind::Mala;  ///< ULA, MALA or HMC
    float step = 0.01f;            ///< alpha (ULA, MALA) or eps (HMC), > 0
    float temperature = 1.0f;      ///< T > 0: the chains sample exp(-E / T)
    std::uint32_t leapfrog = 10;   ///< HMC: leapfrog steps per iteration, >= 1
    std::vector<float> mass;       ///< HMC: per-dimension mass [D], each > 0 (empty: all 1)
    std::uint32_t first_chain = 0; ///< chain index of row 0

    /// @{
    /// The sampler of that kind with its step (and leapfrog count) at temperature T.
    static SampleParams ula(float alpha, float temperature = 1.0f);
    static SampleParams mala(float alpha, float temperature = 1.0f);
    static SampleParams hmc(float eps, std::uint32_t leapfrog, float temperature = 1.0f);
    /// @}
    /// sigma = sqrt(2 alpha T) of the Langevin samplers.
    float sigma() const;
};

/// What sample() returns: the acceptance and, with a trace, the trace and its diagnostics.
struct SampleStats {
    std::int64_t proposals = 0;  ///< chain-steps taken
    std::int64_t accepted = 0;   ///< of them accepted (all of them for ULA)
    /// accepted / proposals (1 before any proposal).
    double acceptance_rate() const { return proposals ? static_cast<double>(accepted) / proposals : 1.0; }
    /// @{
    /// With trace: the mean energy after each step [steps], the states [steps, N, D], and
    /// their diagnostics (ESS and split R-hat per dimension, with at least 4 steps).
    std::vector<double> mean_energy;
    std::vector<float> trace;
    ChainDiagnostics diagnostics;
    /// @}
};

namespace detail {
/// The checks of sample(): the step, temperature, leapfrog count and mass, and x's shape,
/// dtype and device; an Error naming the argument, before any chain moves (host/sample.cpp).
void check_sample(const char* op, const Context& ctx, int dim, ConstTensorView x, const SampleParams& p);
/// An energy whose parameters live on `device` (ebmkit/energy.hpp's device()) runs on that device's contexts only.
void check_energy_device(const char* op, const Context& ctx, Device device);
ChainRule chain_rule(const Context& ctx, const SampleParams& p, const float* mass);
/// The statistics and diagnostics of a trace [steps, rows, dim] with its energies [steps, rows].
SampleStats sample_stats(std::int64_t rows, std::int64_t dim, std::uint32_t steps, std::int64_t accepted,
                         std::vector<float> trace, const std::vector<float>& energies);
}  // namespace detail

/// Runs the chains of x [N, D] (on ctx's device, in place) on energy (the energy concept,
/// energy.hpp) with params for steps.count steps keyed steps.first ...; with trace, every
/// step's states and the diagnostics. On the CPU the chains run across OpenMP threads; on
/// CUDA one launch takes all steps (the shipped energies are compiled in the library; a
/// user's energy needs the calling file compiled by nvcc). Bad arguments: an Error naming
/// them, x unchanged.
template <class E>
SampleStats sample(Context& ctx, const E& energy, TensorView x, const SampleParams& params, Steps steps,
                   bool trace = false);

}  // namespace ebmkit

#include "ebmkit/detail/sample_cpu.hpp"
#include "ebmkit/detail/template_seam.hpp"

#if defined(__CUDACC__)
#include "ebmkit/detail/sample_cuda.cuh"
#endif

namespace ebmkit {

template <class E>
SampleStats sample(Context& ctx, const E& energy, TensorView x, const SampleParams& params, Steps steps, bool trace) {
    static_assert(is_energy_v<E>, "sample: E must model the energy concept (ebmkit/energy.hpp)");
    constexpr const char* op = "sample";
    detail::check_sample(op, ctx, energy.dim(), x, params);
    if constexpr (energy_has_device<E>::value) detail::check_energy_device(op, ctx, energy.device());
    return detail::on_backend(
        ctx, [&] { return detail::sample_cpu(ctx, energy, x, params, steps, trace); },
        [&]() -> SampleStats {
#if defined(__CUDACC__)
            return detail::sample_cuda(ctx, energy, x, params, steps, trace);
#else
            detail::fail_uncompiled_cuda(op);
#endif
        });
}

}  // namespace ebmkit
