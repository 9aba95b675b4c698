// Launchers of kernels/langevin.cu and their launch shapes. Plain C++: host/ includes
// this without CUDA headers.
#pragma once

#include <cstdint>

#include "kernels/launch_shape.hpp"

struct CUstream_st;

namespace ebmkit::kernels {

struct LangevinStep {
    float alpha, sigma;
    bool clamp;
    float lo, hi;
    std::uint64_t seed;
    std::uint32_t first_chain, step;
};

// out = clamp(x - alpha * grad + sigma * eps) for x, grad, out [rows, d] (out may be x);
// outside[r] (nullable) is set to 1 when row r left the box before clamping. The noise
// is keyed step s.step, plus *step_offset when that device counter is given.
void langevin_propose(const float* x, const float* grad, std::int64_t rows, std::int64_t d, const LangevinStep& s,
                      float* out, int* outside, const std::uint32_t* step_offset, CUstream_st* stream);


// Scales each row of grad [rows, d] to at most L2 norm clip.
void clip_rows(float* grad, std::int64_t rows, std::int64_t d, float clip, CUstream_st* stream);

// MALA's accept / reject per row: x, grad, energy take the proposal's values where
// accepted; accepted (a device counter) is increased by the number accepted.
void mala_accept(float* x, float* grad, float* energy, const float* proposal, const float* proposal_grad,
                 const float* proposal_energy, const int* outside, std::int64_t rows, std::int64_t d,
                 const LangevinStep& s, unsigned long long* accepted, CUstream_st* stream);

inline constexpr int langevin_threads = 256;

// propose: a thread per (row, block of four elements).
inline LaunchShape langevin_propose_shape(std::int64_t rows, std::int64_t d) {
    return one_per_thread(rows * ((d + 3) / 4), langevin_threads, "langevin_propose");
}

// clip and MALA's accept: a warp per row.
inline LaunchShape langevin_row_shape(std::int64_t rows) {
    return one_per_thread(rows * 32, langevin_threads, "langevin rows");
}

}  // namespace ebmkit::kernels
