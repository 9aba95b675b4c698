// Launchers of kernels/langevin_chain.cu. Plain C++: host/ includes this without CUDA headers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/langevin.hpp"
#include "kernels/mlp.hpp"
#include "kernels/operation.hpp"

struct CUstream_st;

namespace ebmkit::kernels {

// `steps` unadjusted Langevin steps of x [rows, widths[0]] in place in one launch,
// keyed first.step, first.step + 1, ...; labels (nullable) make row r sample
// E(x, labels[r]); trace (nullable) [steps, rows] receives the energy after each step.
// can_implement: x and the activations of 16 chains fit in a block's shared memory (or
// the grid plan is asked for by name) and the model has at most 8 layers (else the
// caller steps through the unfused path). plan: row tiles or clusters, the same bits, or
// the grid plan (kernels/launch_shape.hpp's TileLaunch), the same draws; only the grid
// plan has a workspace (its activations and partial sums).
struct FusedLangevinChain {
    struct Arguments {
        MlpLayers mlp;
        float* x = nullptr;
        std::int64_t rows = 0;
        const std::int32_t* labels = nullptr;
        LangevinStep first{};
        std::uint32_t steps = 0;
        float* trace = nullptr;
        TilePlan plan = TilePlan::Auto;
        const std::uint32_t* step_offset = nullptr;  // a device counter added to every step's key
        // A schedule on the device (nullable): the segments' alpha and sigma replace
        // first's, in order, for their steps (steps = the segments' sum; no trace).
        const ChainSegment* segments = nullptr;
        int segment_count = 0;
    };
    static Status can_implement(const Arguments& a);
    static std::size_t workspace_bytes(const Arguments& a);
    static void run(const Arguments& a, void* workspace, CUstream_st* stream);
};

}  // namespace ebmkit::kernels
