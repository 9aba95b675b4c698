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
// cluster plan (mlp_block::tile_launch, Context::tile_plan).
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

}  // namespace

namespace {
TileLaunch plan_of(const FusedLangevinChain::Arguments& a) {
    return mlp_block::tile_launch(a.mlp, a.rows, true, device_limits(), a.plan, "langevin fused chain");
}
}  // namespace

Status FusedLangevinChain::can_implement(const Arguments& a) {
    if (plan_of(a).rows_per_block == 0) return {"the chains and the model do not fit in a block's shared memory"};
    return {};
}

void FusedLangevinChain::run(const Arguments& a, void*, CUstream_st* stream) {
    if (a.rows == 0) return;
    const TileLaunch chosen = plan_of(a);
    if (chosen.rows_per_block == 0) throw Error(std::string("langevin fused chain: ") + can_implement(a).why);
    const MlpLayers& mlp = a.mlp;
    const Tile t = mlp_block::plan(mlp, chosen.rows_per_block, mlp.precision, true);
    const Chains c{a.x, a.rows, a.labels, a.first, a.steps, a.trace, a.step_offset, a.segments, a.segment_count};
    block::with_precision(mlp.precision, [&](auto p) {
        block::with_rows(chosen.rows_per_block, [&](auto tile) {
            launch_planned(langevin_chain_fused<decltype(tile)::value, decltype(p)::value>, chosen.shape, stream, t, c);
        });
    });
}

}  // namespace ebmkit::kernels
