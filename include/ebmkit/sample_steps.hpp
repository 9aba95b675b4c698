/// @file
/// The samplers' steps as operations on arrays, for an energy whose values and gradients
/// are computed elsewhere (a framework's autograd: ebmkit.sample on a Python callable).
/// ebmkit draws the noise and momenta, makes the Langevin proposal and takes the
/// Metropolis test, keyed exactly as sample() (ebmkit/sample.hpp) keys them (chain
/// params.first_chain + row, the given step), so an energy gives the same chains either way:
///   ULA:  sample_propose(x, grad E(x)) -> x
///   MALA: sample_propose(x, grad E(x)) -> x'; E(x'), grad E(x') computed; sample_accept
///   HMC:  sample_momentum -> p; leapfrog (p -= eps/2 grad E / T; L times x' += eps p / m,
///         p -= eps grad E(x') / T, eps/2 the last time) computed; sample_accept with p and p'
/// On CUDA each is one launch on the context's stream and none waits for the device.
#pragma once

#include <cstdint>

#include "ebmkit/context.hpp"
#include "ebmkit/sample.hpp"
#include "ebmkit/tensor.hpp"

namespace ebmkit {

/// proposal [N, D] = x - alpha grad + sigma eps, sigma = sqrt(2 alpha T) (proposal may be x).
void sample_propose(Context& ctx, ConstTensorView x, ConstTensorView grad, const SampleParams& params,
                    std::uint32_t step, TensorView proposal);

/// momentum [N, D] = sqrt(m) n, m the per-dimension mass [D] (empty: all 1) on ctx's device.
void sample_momentum(Context& ctx, TensorView momentum, const SampleParams& params, std::uint32_t step,
                     ConstTensorView mass = {});

/// The Metropolis test of each row (MALA's, or with momenta HMC's): where accepted[r]
/// (int32 [N]) becomes 1, x, energy [N] and grad take the proposal's values. params.kind
/// says which test; HMC's needs the momentum drawn and the momentum at the leapfrog's end.
void sample_accept(Context& ctx, TensorView x, TensorView energy, TensorView grad, ConstTensorView proposal,
                   ConstTensorView proposal_energy, ConstTensorView proposal_grad, const SampleParams& params,
                   std::uint32_t step, TensorView accepted, ConstTensorView momentum = {},
                   ConstTensorView proposal_momentum = {}, ConstTensorView mass = {});

}  // namespace ebmkit
