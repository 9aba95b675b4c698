// The CUDA graph operations (host/ops/graph.hpp): kernels/graph.cu records and replays.
#include "families.hpp"
#include "kernels/graph.hpp"
#include "nvtx.hpp"

namespace ebmkit::detail {

namespace {

class CudaGraph final : public GraphOps {
public:
    void replay(Context& ctx, Recording& recording, std::uint64_t signature,
                const std::function<void()>& sequence) const override {
        const NvtxRange range("ebmkit.graph.replay");
        // On an adopted legacy default stream nothing can be recorded: the sequence runs as it is.
        if (!kernels::can_capture(ctx.stream())) return sequence();
        // The recording reads the context's workspace where the sequence's operations
        // took it: a workspace moved since is a new signature.
        signature = signature * 1000003u ^ reinterpret_cast<std::uintptr_t>(ctx.workspace(0));
        if (recording.signature != signature || !recording.graph) {
            if (recording.signature != signature) recording.seen = 0;
            recording.signature = signature;
            recording.graph.reset();
            if (recording.seen++ == 0) return sequence();  // the warm-up
            recording.graph = kernels::record_graph(ctx.stream(), sequence);
        }
        kernels::launch_graph(recording.graph.get(), ctx.stream());
    }
    void advance(Context& ctx, std::uint32_t* counter, std::uint32_t by, const std::int32_t* unless) const override {
        const NvtxRange range("ebmkit.graph.advance");
        kernels::advance_counter(counter, by, unless, ctx.stream());
    }
};

}  // namespace

const GraphOps& cuda_graph_ops() {
    static const CudaGraph ops;
    return ops;
}

}  // namespace ebmkit::detail
