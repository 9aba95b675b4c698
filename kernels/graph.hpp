// CUDA graphs for repeated work. Plain C++: host/ includes this without CUDA headers.
#pragma once

#include <cstdint>
#include <functional>

struct CUstream_st;

namespace ebmkit::kernels {

// Captures the work `enqueue` queues on `stream` into a CUDA graph and launches the
// graph `times` times: one launch per repetition instead of one per kernel. The
// work must be identical each time (a device counter can tell repetitions apart)
// and must not synchronise or allocate.
void repeat_as_graph(CUstream_st* stream, const std::function<void()>& enqueue, std::uint32_t times);

}  // namespace ebmkit::kernels
