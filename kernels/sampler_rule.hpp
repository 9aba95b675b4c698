// The draws of the chain starts and of the replay buffer (include/ebmkit/sampler.hpp),
// shared by the CUDA kernels (kernels/sampler.cuh) and the CPU path
// (host/cpu/sampler.cpp), so both compute the same floats and the same slots:
//   a U(lo, hi) row of chain c at step t: element i = lo + (hi - lo) u,
//     u = Philox (seed, ChainInit, c, t, i)
//   row b of round t restarts afresh when (seed, ReplayReinit, t, 0, g) <= reinit,
//     and otherwise starts from slot  class * S + min(S - 1, floor(u S)),
//     u = (seed, ReplaySlot, t, 0, g), S = size / classes (the class's segment);
//     a fresh row (chain g's U(lo, hi) row at step t + 1) goes back to that same slot.
//     When two rows of a round go back to one slot, the later row wins.
//   a drawn class of row r in round t: min(K - 1, floor(u K)), u = (seed, SampleLabel, g, t, 0)
// g = first_row + b is the row's index in the global batch of a data-parallel run (a
// rank's rows are keyed as the same rows of one rank's batch; 0 on one rank).
#pragma once

#include <cstdint>

#include "ebmkit/detail/host_device.hpp"
#include "ebmkit/philox.hpp"

namespace ebmkit::kernels {

struct ReplayShape {
    std::int64_t size, dim, classes;
    float lo, hi;
    std::uint64_t seed;
    std::uint32_t first_row = 0;  // the global index of the batch's row 0
};

// lo + (hi - lo) u, never contracted into an FMA, so that host and device round alike.
EBMKIT_HOST_DEVICE float scale_uniform(float lo, float hi, float u) {
#if defined(__CUDA_ARCH__)
    return __fadd_rn(lo, __fmul_rn(hi - lo, u));
#else
    return lo + (hi - lo) * u;
#endif
}

// Elements 4 q .. 4 q + 3 (those below dim) of chain's U(lo, hi) row at step.
EBMKIT_HOST_DEVICE void uniform_row_quad(float* row, std::int64_t dim, std::int64_t q, float lo, float hi,
                                         PhiloxKey key, std::uint32_t chain, std::uint32_t step) {
    float u[4];
    uniform4(philox4x32_10(philox_counter(RngPurpose::ChainInit, chain, step, static_cast<std::uint32_t>(q)), key), u);
    for (int j = 0; j < 4; ++j) {
        if (4 * q + j < dim) row[4 * q + j] = scale_uniform(lo, hi, u[j]);
    }
}

EBMKIT_HOST_DEVICE bool replay_fresh(const ReplayShape& s, float reinit, std::uint32_t round, std::int64_t b) {
    return philox_uniform(s.seed, RngPurpose::ReplayReinit, round, 0, s.first_row + static_cast<std::uint32_t>(b)) <=
           reinit;
}

EBMKIT_HOST_DEVICE std::int64_t replay_slot(const ReplayShape& s, std::uint32_t round, std::int64_t b,
                                            std::int32_t row_class) {
    const std::int64_t segment = s.size / s.classes;
    const float u = philox_uniform(s.seed, RngPurpose::ReplaySlot, round, 0, s.first_row + static_cast<std::uint32_t>(b));
    const auto at = static_cast<std::int64_t>(u * static_cast<float>(segment));
    return row_class * segment + (at < segment - 1 ? at : segment - 1);
}

EBMKIT_HOST_DEVICE std::int32_t drawn_class(std::uint64_t seed, std::int64_t classes, std::uint32_t round,
                                            std::uint32_t row) {
    const float u = philox_uniform(seed, RngPurpose::SampleLabel, row, round, 0);
    const auto y = static_cast<std::int64_t>(u * static_cast<float>(classes));
    return static_cast<std::int32_t>(y < classes - 1 ? y : classes - 1);
}

}  // namespace ebmkit::kernels
