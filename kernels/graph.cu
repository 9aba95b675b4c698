#include <cuda_runtime.h>

#include "kernels/cuda_check.hpp"
#include "kernels/graph.hpp"

namespace ebmkit::kernels {

namespace {

struct Graph {
    cudaGraph_t graph = nullptr;
    cudaGraphExec_t exec = nullptr;
    Graph() = default;
    Graph(const Graph&) = delete;
    Graph& operator=(const Graph&) = delete;
    ~Graph() {
        if (exec) cudaGraphExecDestroy(exec);
        if (graph) cudaGraphDestroy(graph);
    }
};

// The work enqueue queues on stream, captured and instantiated into g.
void capture(Graph& g, cudaStream_t stream, const std::function<void()>& enqueue) {
    EBMKIT_CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
    try {
        enqueue();
    } catch (...) {
        cudaStreamEndCapture(stream, &g.graph);  // leaves the stream usable; the error is the first one
        throw;
    }
    EBMKIT_CUDA_CHECK(cudaStreamEndCapture(stream, &g.graph));
    EBMKIT_CUDA_CHECK(cudaGraphInstantiate(&g.exec, g.graph, 0));
}

__global__ void __launch_bounds__(1) advance(std::uint32_t* counter, std::uint32_t by, const std::int32_t* unless) {
    if (!(unless && *unless)) *counter += by;
}

}  // namespace

bool can_capture(CUstream_st* stream) {
    return stream != nullptr && stream != cudaStreamLegacy && stream != cudaStreamPerThread;
}

void repeat_as_graph(CUstream_st* stream, const std::function<void()>& enqueue, std::uint32_t times) {
    if (times == 0) return;
    if (!can_capture(stream)) {
        for (std::uint32_t i = 0; i < times; ++i) enqueue();
        return;
    }
    cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
    EBMKIT_CUDA_CHECK(cudaStreamIsCapturing(stream, &status));
    if (status == cudaStreamCaptureStatusActive) {
        // Inside a recording already (a replayed JEM iteration): the repetitions become part of it.
        for (std::uint32_t i = 0; i < times; ++i) enqueue();
        return;
    }
    Graph g;
    capture(g, stream, enqueue);
    for (std::uint32_t i = 0; i < times; ++i) EBMKIT_CUDA_CHECK(cudaGraphLaunch(g.exec, stream));
}

std::shared_ptr<void> record_graph(CUstream_st* stream, const std::function<void()>& enqueue) {
    auto g = std::make_shared<Graph>();
    capture(*g, stream, enqueue);
    return g;
}

void launch_graph(void* graph, CUstream_st* stream) {
    EBMKIT_CUDA_CHECK(cudaGraphLaunch(static_cast<Graph*>(graph)->exec, stream));
}

void advance_counter(std::uint32_t* counter, std::uint32_t by, const std::int32_t* unless, CUstream_st* stream) {
    advance<<<1, 1, 0, stream>>>(counter, by, unless);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace ebmkit::kernels
