#include <cuda_runtime.h>

#include "kernels/cuda_check.hpp"
#include "kernels/graph.hpp"

namespace ebmkit::kernels {

namespace {

struct Graph {
    cudaGraph_t graph = nullptr;
    cudaGraphExec_t exec = nullptr;
    ~Graph() {
        if (exec) cudaGraphExecDestroy(exec);
        if (graph) cudaGraphDestroy(graph);
    }
};

}  // namespace

void repeat_as_graph(CUstream_st* stream, const std::function<void()>& enqueue, std::uint32_t times) {
    if (times == 0) return;
    Graph g;
    EBMKIT_CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
    try {
        enqueue();
    } catch (...) {
        cudaStreamEndCapture(stream, &g.graph);  // leaves the stream usable; the error is the first one
        throw;
    }
    EBMKIT_CUDA_CHECK(cudaStreamEndCapture(stream, &g.graph));
    EBMKIT_CUDA_CHECK(cudaGraphInstantiate(&g.exec, g.graph, 0));
    for (std::uint32_t i = 0; i < times; ++i) EBMKIT_CUDA_CHECK(cudaGraphLaunch(g.exec, stream));
}

}  // namespace ebmkit::kernels
