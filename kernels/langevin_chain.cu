// Fused Langevin chains: T unadjusted Langevin steps of a tile of chains in ONE launch,
//   x <- clamp(x - alpha dE/dx + sigma eps),  eps from Philox keyed (seed, LangevinNoise,
//   chain, step, element) exactly as kernels/langevin.cu draws it,
// each block keeping its chains x [ROWS, D] and every layer's activations in shared
// memory for all T steps (kernels/mlp_block.cuh): per step a forward pass, the energy
// head, the backward pass, and the update fused into the epilogue of the last
// product, four noise values per Philox call. Weights stream from L2. With a trace
// the energy after every step is written, which costs one more forward pass at the end.
// MALA and gradient clipping need whole-row state beyond the tile and take the
// step-by-step path (host/langevin.cpp).
#include <cuda_runtime.h>

#include "kernels/langevin_chain.cuh"
#include "kernels/langevin_chain.hpp"

namespace ebmkit::kernels {

namespace {

using namespace langevin_chain_body;

template <int ROWS, Precision P>
__global__ void __launch_bounds__(block::threads) langevin_chain_fused(Tile t, Chains c) {
    extern __shared__ __align__(128) unsigned char shared[];
    langevin_chain_tile<ROWS, P>(t, c, reinterpret_cast<float*>(shared));
}

template <int ROWS, Precision P>
void launch(const Tile& t, const Chains& c, cudaStream_t stream) {
    const auto kernel = langevin_chain_fused<ROWS, P>;
    const LaunchShape s = row_tiles(c.rows, ROWS, block::threads, t.bytes, "langevin fused chain");
    EBMKIT_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, s.shared_bytes));
    kernel<<<s.blocks, s.threads, s.shared_bytes, stream>>>(t, c);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace

namespace {
int rows_per_block(const FusedLangevinChain::Arguments& a) {
    return mlp_block::rows_per_block(a.mlp, a.rows, a.mlp.precision, true, device_limits());
}
}  // namespace

Status FusedLangevinChain::can_implement(const Arguments& a) {
    if (rows_per_block(a) == 0) return {"the chains and the model do not fit in a block's shared memory"};
    return {};
}

void FusedLangevinChain::run(const Arguments& a, void*, CUstream_st* stream) {
    if (a.rows == 0) return;
    const int r = rows_per_block(a);
    if (r == 0) throw Error(std::string("langevin fused chain: ") + can_implement(a).why);
    const MlpLayers& mlp = a.mlp;
    const Tile t = mlp_block::plan(mlp, r, mlp.precision, true);
    const Chains c{a.x, a.rows, a.labels, a.first, a.steps, a.trace};
    block::with_precision(mlp.precision, [&](auto p) {
        block::with_rows(r, [&](auto tile) { launch<decltype(tile)::value, decltype(p)::value>(t, c, stream); });
    });
}

}  // namespace ebmkit::kernels
