// CUDA graphs for repeated work. Plain C++: host/ includes this without CUDA headers.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

struct CUstream_st;

namespace ebmkit::kernels {

// Captures the work `enqueue` queues on `stream` into a CUDA graph and launches the
// graph `times` times: one launch per repetition instead of one per kernel. The
// work must be identical each time (a device counter can tell repetitions apart)
// and must not synchronise or allocate. On a stream that is being captured already the
// work is queued `times` times into that capture instead.
void repeat_as_graph(CUstream_st* stream, const std::function<void()>& enqueue, std::uint32_t times);

// Whether work on stream can be captured: not on the legacy default stream (nullptr or
// cudaStreamLegacy, which a Context adopting torch's default stream runs on) nor on the
// per-thread default stream. Where it cannot, the callers queue the work itself.
bool can_capture(CUstream_st* stream);

// The same capture, kept: an executable graph of the work `enqueue` queues on stream,
// replayed by launch_graph (host/ops/graph.hpp's recordings).
std::shared_ptr<void> record_graph(CUstream_st* stream, const std::function<void()>& enqueue);
void launch_graph(void* graph, CUstream_st* stream);

// *counter += by on the device (the step counter of a replayed graph), unless `unless`
// (nullable) points to a nonzero word.
void advance_counter(std::uint32_t* counter, std::uint32_t by, const std::int32_t* unless, CUstream_st* stream);

}  // namespace ebmkit::kernels
