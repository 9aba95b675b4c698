// Fused Langevin chains: T unadjusted Langevin steps of a tile of chains in ONE launch,
//   x <- clamp(x - alpha dE/dx + sigma eps),  eps from Philox keyed (seed, LangevinNoise,
//   chain, step, element) exactly as kernels/langevin.cu draws it,
// the samplers' ULA block body (detail/sample_block.cuh) on the MLP's block form
// (mlp_block::TileEnergy): each block keeps its chains x [ROWS, D] and every layer's
// activations in shared memory for all T steps; per step a forward pass, the energy
// head, the backward pass, and the update fused into the epilogue of the last
// product, four noise values per Philox call. Weights stream from L2. With a trace
// the energy after every step is written, which costs one more forward pass at the end.
// MALA and gradient clipping need whole-row state beyond the tile and take the
// step-by-step path (host/langevin.cpp). A few chains spread over the GPU through the
// cluster plan (mlp_block::tile_launch) or the grid plan (kernels/mlp_grid.cuh: every
// product shared by a block per multiprocessor, the activations in the workspace),
// chosen by kernels::grid_launch from Context::tile_plan.
#include <cuda_runtime.h>

#include "kernels/langevin_chain.cuh"
#include "kernels/langevin_chain.hpp"
#include "kernels/launch.cuh"

namespace ebmkit::kernels {

namespace {

using namespace langevin_chain_body;

template <int ROWS, Precision P>
__global__ void __launch_bounds__(block::threads) langevin_chain_fused(Tile t, const std::int32_t* labels, UlaChains c) {
    extern __shared__ __align__(128) unsigned char shared[];
    langevin_chain_tile<ROWS, P>(t, labels, c, shared);
}

// One block per multiprocessor is the grid plan's shape, so the bounds say so: at the
// default ptxas held the kernel to 128 registers and spilled up to 596 bytes.
template <Precision P>
__global__ void __launch_bounds__(block::threads, 1) langevin_chain_grid_fused(Tile t, const std::int32_t* labels,
                                                                                UlaChains c, float* work,
                                                                                long long partials) {
    extern __shared__ __align__(128) unsigned char shared[];
    langevin_chain_grid<P>(t, labels, c, work, partials, shared);
}

// The plan for a, once per call: the launch, whether it can run, and the grid plan's
// tile and workspace.
struct Planned {
    TileLaunch launch;
    mlp_grid::Layout grid;  // the grid plan's
    Status status;
};

Planned plan_of(const FusedLangevinChain::Arguments& a) {
    Planned p{mlp_grid::chain_launch(a.mlp, a.rows, device_limits(), a.plan), {}, {}};
    if (p.launch.rows_per_block == 0) {
        p.status = {"the chains and the model do not fit in a block's shared memory"};
    } else if (p.launch.grid()) {
        p.grid = mlp_grid::layout(a.mlp, a.rows, static_cast<int>(p.launch.shape.blocks));
        if (p.grid.workspace.activations >= (1LL << 31)) p.status = {"the grid plan's activations exceed 2^31 floats"};
    }
    return p;
}

}  // namespace

Status FusedLangevinChain::can_implement(const Arguments& a) { return plan_of(a).status; }

std::size_t FusedLangevinChain::workspace_bytes(const Arguments& a) {
    if (a.rows == 0) return 0;
    const Planned p = plan_of(a);
    return p.launch.grid() ? static_cast<std::size_t>(p.grid.workspace.floats()) * sizeof(float) : 0;
}

void FusedLangevinChain::run(const Arguments& a, void* workspace, CUstream_st* stream) {
    if (a.rows == 0) return;
    const Planned chosen = plan_of(a);
    if (!chosen.status) throw Error(std::string("langevin fused chain: ") + chosen.status.why);
    const MlpLayers& mlp = a.mlp;
    const UlaChains c{a.x, a.rows, a.first, a.steps, a.trace, a.step_offset, a.segments, a.segment_count};
    if (chosen.launch.grid()) {
        if (workspace == nullptr) throw Error("langevin fused chain: the grid plan needs its workspace (workspace_bytes)");
        block::with_precision(mlp.precision, [&](auto p) {
            launch_planned(langevin_chain_grid_fused<decltype(p)::value>, chosen.launch.shape, stream, chosen.grid.tile,
                           a.labels, c, static_cast<float*>(workspace), chosen.grid.workspace.activations);
        });
        return;
    }
    const Tile t = mlp_block::plan(mlp, chosen.launch.rows_per_block, mlp.precision, true);
    block::with_precision(mlp.precision, [&](auto p) {
        block::with_rows(chosen.launch.rows_per_block, [&](auto tile) {
            launch_planned(langevin_chain_fused<decltype(tile)::value, decltype(p)::value>, chosen.launch.shape, stream,
                           t, a.labels, c);
        });
    });
}

}  // namespace ebmkit::kernels
