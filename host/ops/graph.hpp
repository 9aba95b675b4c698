// The graph family's operations (host/ops/ops.hpp): a launch sequence recorded once and
// replayed. On CUDA the sequence's work on the context's stream becomes a CUDA graph,
// replayed with one launch; on the CPU the sequence simply runs. A sequence queues the
// same work every time: what changes between replays lives in device memory (a step
// counter it advances), never in a kernel's arguments.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <memory>

#include "ebmkit/context.hpp"
#include "ebmkit/detail/step_key.hpp"
#include "ebmkit/tensor.hpp"

namespace ebmkit::detail {

// What a replay keeps between calls: the graph and the signature it was recorded for.
// The caller owns one per sequence (a trainer's update).
struct Recording {
    std::shared_ptr<void> graph;   // the backend's (a CUDA graph and its executable)
    std::uint64_t signature = 0;   // of the recorded graph
    int seen = 0;                  // calls with the current signature
};

// A tensor's address and a float's bits, for a replay's signature.
inline std::uint64_t address(ConstTensorView t) { return reinterpret_cast<std::uintptr_t>(t.raw()); }
inline std::uint64_t bits_of(float x) {
    std::uint32_t bits = 0;
    std::memcpy(&bits, &x, sizeof bits);
    return bits;
}

// A replay's signature from the values its launches read (sizes, addresses, scalars' bits).
inline std::uint64_t signature_of(std::initializer_list<std::uint64_t> values) {
    std::uint64_t h = 1469598103934665603ull;  // FNV-1a over the values' bytes
    for (std::uint64_t v : values) {
        for (int b = 0; b < 8; ++b) h = (h ^ ((v >> (8 * b)) & 0xff)) * 1099511628211ull;
    }
    return h;
}

class GraphOps {
public:
    virtual ~GraphOps() = default;
    // Runs sequence, which queues work on ctx's stream through other operations. On CUDA
    // the first call with a signature runs it as it is (a warm-up: workspaces reach their
    // size), the second records it and every later call with that signature replays the
    // recording; a new signature (the caller's hash of everything the sequence's
    // arguments depend on: shapes, pointers, scalars) starts over. The sequence must not
    // wait for the device or allocate after its warm-up.
    virtual void replay(Context& ctx, Recording& recording, std::uint64_t signature,
                        const std::function<void()>& sequence) const = 0;
    // *counter += by, queued on ctx's stream (a device counter; a host one on the CPU);
    // not when `unless` (nullable, a word beside it) is nonzero.
    virtual void advance(Context& ctx, std::uint32_t* counter, std::uint32_t by, const std::int32_t* unless) const = 0;
};

}  // namespace ebmkit::detail
