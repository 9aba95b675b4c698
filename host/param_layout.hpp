// One buffer for a model's parameters (docs/ARCHITECTURE.md §3): each parameter starts
// at a multiple of 64 floats (256 bytes, cudaMalloc's alignment, on which the kernels'
// vector loads of a weight matrix rely), the gaps between them zero. The gaps stay zero
// under every update ebmkit makes: their gradient is zero (no kernel writes them), so is
// every optimizer state there, and each rule maps (0, 0, 0) to 0. A model's gradient,
// its optimizer's moments and an RBM's velocity share the layout, so one launch updates
// the whole buffer and one all-reduce sums it.
#pragma once

#include <cstdint>
#include <vector>

namespace ebmkit::detail {

inline constexpr std::int64_t param_alignment = 64;  // floats

// The offset of each of sizes (in floats), in order; the buffer's length in total.
inline std::vector<std::int64_t> packed_offsets(const std::vector<std::int64_t>& sizes, std::int64_t& total) {
    std::vector<std::int64_t> offsets;
    total = 0;
    for (const std::int64_t size : sizes) {
        offsets.push_back(total);
        total += (size + param_alignment - 1) / param_alignment * param_alignment;
    }
    return offsets;
}

}  // namespace ebmkit::detail
