// The unadjusted Langevin chain as the fused chain bodies run it: all steps in one
// launch, the state on chip, and the update in the epilogue of the product that gives
// the gradient, four coordinates (one Philox block) at a time:
//   x <- clamp(x - alpha g + sigma eps),  eps keyed (seed, LangevinNoise, chain, key, col / 4)
// the draws and arithmetic of detail/sample_chain.hpp's ULA step and of
// kernels/langevin.cuh's proposal, so every path gives the same chains. Written once for
// the block path of any energy with a block form (detail/sample_block.cuh: the samplers
// for any energy, and LangevinSampler's fused chain on the MLP's tile) and the MLP's grid
// plan (kernels/langevin_chain.cuh).
#pragma once

#include <cstdint>

#include "ebmkit/detail/host_device.hpp"
#include "ebmkit/detail/langevin_rule.hpp"
#include "ebmkit/philox.hpp"

namespace ebmkit::detail {

// The chains of x [rows, D] (in place) for `steps` steps keyed step.step + *step_offset,
// step.step + *step_offset + 1, ...
struct UlaChains {
    float* x;
    std::int64_t rows;
    kernels::LangevinStep step;  // step.step is the first step's key
    std::uint32_t steps;
    float* trace = nullptr;  // nullable: [steps, rows] energies after each step
    const std::uint32_t* step_offset = nullptr;  // nullable: a device counter added to every step's key
    // A schedule (nullable, in the memory of the device that runs it): the segments'
    // alpha and sigma replace step's, in order, for their steps.
    const kernels::ChainSegment* segments = nullptr;
    int segment_count = 0;
    float* states = nullptr;  // nullable: [steps, rows, D] the states after each step
};

// The step size and noise of each step, as the schedule (UlaChains::segments) sets them,
// else the chain's own. Every thread reads the same values, so all take the same branches.
struct Schedule {
    const UlaChains& c;
    int segment = -1;
    std::uint32_t left;  // steps left in this segment
    float alpha, sigma;
    EBMKIT_HOST_DEVICE explicit Schedule(const UlaChains& chains)
        : c(chains), left(chains.segments ? 0u : chains.steps), alpha(chains.step.alpha), sigma(chains.step.sigma) {}
    // Before step n: into the next segment where this one is spent.
    EBMKIT_HOST_DEVICE void before(std::uint32_t n) {
        while (n < c.steps && left == 0 && segment + 1 < c.segment_count) {
            ++segment;
            left = c.segments[segment].steps;
            alpha = c.segments[segment].alpha;
            sigma = c.segments[segment].sigma;
        }
    }
    EBMKIT_HOST_DEVICE void after() { --left; }
};

// The first step's key: step.step plus the device counter where there is one.
EBMKIT_HOST_DEVICE std::uint32_t first_key(const UlaChains& c) {
    return c.step.step + (c.step_offset ? *c.step_offset : 0u);
}

// One update of chain `chain`'s coordinates col .. col + 3 (those < d; col a multiple of
// 4) at step `key`: x4 [4] from the gradient g [4], at the schedule's alpha and sigma.
EBMKIT_HOST_DEVICE void ula_quad(const UlaChains& c, const Schedule& at, std::uint32_t chain, std::uint32_t key, int col,
                                 int d, const float* g, float* x4) {
    const kernels::LangevinStep& s = c.step;
    float eps[4];
    normal4(philox4x32_10(philox_counter(RngPurpose::LangevinNoise, chain, key, static_cast<std::uint32_t>(col / 4)),
                          philox_key(s.seed)),
            eps);
    for (int j = 0; j < 4 && col + j < d; ++j) {
        const float v = kernels::langevin_proposal(x4[j], g[j], at.alpha, at.sigma, eps[j]);
        x4[j] = s.clamp ? kernels::clamp_to_box(v, s.lo, s.hi) : v;  // no MALA here: no rejection
    }
}

}  // namespace ebmkit::detail
