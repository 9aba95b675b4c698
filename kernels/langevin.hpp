// Launchers of kernels/langevin.cu and their launch shapes. Plain C++: host/ includes
// this without CUDA headers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ebmkit/detail/langevin_rule.hpp"
#include "kernels/launch_shape.hpp"
#include "kernels/operation.hpp"

struct CUstream_st;

namespace ebmkit::kernels {

// out = clamp(x - alpha * grad + sigma * eps) for x, grad, out [rows, d] (out may be x);
// outside[r] (nullable) is set to 1 when row r left the box before clamping. The noise
// is keyed step.step, plus *step_offset when that device counter is given.
struct LangevinPropose {
    struct Arguments {
        const float* x = nullptr;
        const float* grad = nullptr;
        std::int64_t rows = 0, d = 0;
        LangevinStep step{};
        float* out = nullptr;
        int* outside = nullptr;
        const std::uint32_t* step_offset = nullptr;
    };
    static Status can_implement(const Arguments&) { return {}; }
    static std::size_t workspace_bytes(const Arguments&) { return 0; }
    static void run(const Arguments& a, void* workspace, CUstream_st* stream);
};


// Scales each row of grad [rows, d] to at most L2 norm clip.
void clip_rows(float* grad, std::int64_t rows, std::int64_t d, float clip, CUstream_st* stream);

// MALA's accept / reject per row: x, grad, energy take the proposal's values where
// accepted (a proposal outside the box, outside[r] = 1, never is); accepted (a device
// counter) is increased by the number accepted.
struct MalaAccept {
    struct Arguments {
        float* x = nullptr;       // [rows, d]
        float* grad = nullptr;    // [rows, d]
        float* energy = nullptr;  // [rows]
        const float* proposal = nullptr;
        const float* proposal_grad = nullptr;
        const float* proposal_energy = nullptr;
        const int* outside = nullptr;
        std::int64_t rows = 0, d = 0;
        LangevinStep step{};
        unsigned long long* accepted = nullptr;
    };
    static Status can_implement(const Arguments&) { return {}; }
    static std::size_t workspace_bytes(const Arguments&) { return 0; }
    static void run(const Arguments& a, void* workspace, CUstream_st* stream);
};

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
