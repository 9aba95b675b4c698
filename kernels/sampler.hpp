// Launchers of kernels/sampler.cu (the chain starts and the replay buffer on the
// device) and their launch shapes. Plain C++: host/ includes this without CUDA headers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/launch_shape.hpp"
#include "kernels/operation.hpp"
#include "kernels/sampler_rule.hpp"

struct CUstream_st;

namespace ebmkit::kernels {

inline constexpr int sampler_threads = 256;

// A thread per (row, block of four elements).
inline LaunchShape sampler_quad_shape(std::int64_t rows, std::int64_t dim) {
    return one_per_thread(rows * ((dim + 3) / 4), sampler_threads, "sampler kernels");
}

// A thread per row.
inline LaunchShape sampler_row_shape(std::int64_t rows) {
    return one_per_thread(rows, sampler_threads, "sampler kernels");
}

// The draws' rounds and steps below may add a counter on the device (nullable): a
// replayed graph keys each replay by a counter it advances (host/ops/graph.hpp). A store
// given `skip` does nothing when *skip is nonzero (the JEM guard's verdict, on the device).

// out [rows, dim]: row r is chain first_chain + r's U(lo, hi) draw at step (sampler_rule.hpp).
struct UniformRows {
    struct Arguments {
        float* out = nullptr;
        std::int64_t rows = 0;
        std::int64_t dim = 0;
        float lo = 0.0f;
        float hi = 1.0f;
        std::uint64_t seed = 0;
        std::uint32_t first_chain = 0;
        std::uint32_t step = 0;
        const std::uint32_t* step_offset = nullptr;
    };
    static Status can_implement(const Arguments&) { return {}; }
    static std::size_t workspace_bytes(const Arguments&) { return 0; }
    static void run(const Arguments& a, void* workspace, CUstream_st* stream);
};

// Each row's start out [batch, dim]: a fresh U(lo, hi) draw with probability reinit
// (slots[b] = -1), else a copy of the slot it draws from the buffer (slots[b] = that slot).
struct ReplayDraw {
    struct Arguments {
        ReplayShape shape;
        const float* buffer = nullptr;
        std::int64_t batch = 0;
        float reinit = 0.0f;
        std::uint32_t round = 0;
        const std::int32_t* row_classes = nullptr;  // nullable: one class
        float* out = nullptr;
        std::int32_t* slots = nullptr;
        const std::uint32_t* round_offset = nullptr;
    };
    static Status can_implement(const Arguments&) { return {}; }
    static std::size_t workspace_bytes(const Arguments&) { return 0; }
    static void run(const Arguments& a, void* workspace, CUstream_st* stream);
};

// The rows samples [batch, dim] back into buffer: row b to slots[b], or to its fresh
// draw's slot where slots[b] is -1, the last row bound for a slot winning. The
// workspace: the winner of each slot [s.size], then each row's target [batch] (int32).
struct ReplayStore {
    struct Arguments {
        ReplayShape shape;
        float* buffer = nullptr;
        std::int64_t batch = 0;
        std::uint32_t round = 0;
        const std::int32_t* slots = nullptr;
        const std::int32_t* row_classes = nullptr;  // nullable: one class
        const float* samples = nullptr;
        const std::uint32_t* round_offset = nullptr;
        const std::int32_t* skip = nullptr;
    };
    static Status can_implement(const Arguments&) { return {}; }
    static std::size_t workspace_bytes(const Arguments& a) {
        return sizeof(std::int32_t) * static_cast<std::size_t>(a.shape.size + a.batch);
    }
    static void run(const Arguments& a, void* workspace, CUstream_st* stream);
};

// Row r's class is global row first_row + r's.
void draw_classes(std::uint64_t seed, std::int64_t classes, std::uint32_t round, std::int64_t rows, std::int32_t* out,
                  std::uint32_t first_row, const std::uint32_t* round_offset, CUstream_st* stream);

}  // namespace ebmkit::kernels
