// Fused Langevin chains: T unadjusted Langevin steps of a tile of chains in ONE launch,
//   x <- clamp(x - alpha dE/dx + sigma eps),  eps from Philox keyed (seed, LangevinNoise,
//   chain, step, element) exactly as kernels/langevin.cu draws it,
// each block keeping its chains x [ROWS, D] and every layer's activations in shared
// memory for all T steps (kernels/mlp_block.cuh): per step a forward pass, the energy
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
__global__ void __launch_bounds__(block::threads) langevin_chain_fused(Tile t, Chains c) {
    extern __shared__ __align__(128) unsigned char shared[];
    langevin_chain_tile<ROWS, P>(t, c, reinterpret_cast<float*>(shared));
}

// One block per multiprocessor is the grid plan's shape, so the bounds say so: at the
// default ptxas held the kernel to 128 registers and spilled up to 596 bytes.
template <Precision P>
__global__ void __launch_bounds__(block::threads, 1) langevin_chain_grid_fused(Tile t, Chains c, float* work,
                                                                                long long partials) {
    extern __shared__ __align__(128) unsigned char shared[];
    langevin_chain_grid<P>(t, c, work, partials, shared);
}

TileLaunch plan_of(const FusedLangevinChain::Arguments& a) {
    return mlp_grid::chain_launch(a.mlp, a.rows, device_limits(), a.plan);
}

// The grid plan's tile (laid out for every chain) and workspace.
mlp_grid::Workspace grid_layout(const FusedLangevinChain::Arguments& a, const TileLaunch& chosen, Tile& t) {
    t = Tile{};
    static_cast<TileModel&>(t) = tile_model(a.mlp);
    return mlp_grid::lay_out(t, a.rows, static_cast<int>(chosen.shape.blocks));
}

}  // namespace

Status FusedLangevinChain::can_implement(const Arguments& a) {
    const TileLaunch chosen = plan_of(a);
    if (chosen.rows_per_block == 0) return {"the chains and the model do not fit in a block's shared memory"};
    if (chosen.grid()) {
        Tile t;
        if (grid_layout(a, chosen, t).activations >= (1LL << 31)) return {"the grid plan's activations exceed 2^31 floats"};
    }
    return {};
}

std::size_t FusedLangevinChain::workspace_bytes(const Arguments& a) {
    const TileLaunch chosen = plan_of(a);
    if (!chosen.grid() || a.rows == 0) return 0;
    Tile t;
    return static_cast<std::size_t>(grid_layout(a, chosen, t).floats()) * sizeof(float);
}

void FusedLangevinChain::run(const Arguments& a, void* workspace, CUstream_st* stream) {
    if (a.rows == 0) return;
    const TileLaunch chosen = plan_of(a);
    if (const Status ok = can_implement(a); !ok) throw Error(std::string("langevin fused chain: ") + ok.why);
    const MlpLayers& mlp = a.mlp;
    const Chains c{a.x, a.rows, a.labels, a.first, a.steps, a.trace, a.step_offset, a.segments, a.segment_count};
    if (chosen.grid()) {
        Tile t;
        const mlp_grid::Workspace w = grid_layout(a, chosen, t);
        if (workspace == nullptr) throw Error("langevin fused chain: the grid plan needs its workspace (workspace_bytes)");
        block::with_precision(mlp.precision, [&](auto p) {
            launch_planned(langevin_chain_grid_fused<decltype(p)::value>, chosen.shape, stream, t, c,
                           static_cast<float*>(workspace), w.activations);
        });
        return;
    }
    const Tile t = mlp_block::plan(mlp, chosen.rows_per_block, mlp.precision, true);
    block::with_precision(mlp.precision, [&](auto p) {
        block::with_rows(chosen.rows_per_block, [&](auto tile) {
            launch_planned(langevin_chain_fused<decltype(tile)::value, decltype(p)::value>, chosen.shape, stream, t, c);
        });
    });
}

}  // namespace ebmkit::kernels
