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

#include "kernels/langevin_chain.hpp"
#include "kernels/mlp_block.cuh"
#include "kernels/philox_device.cuh"

namespace ebmkit::kernels {

namespace {

using mlp_block::Tile;

struct Chains {
    float* x;
    std::int64_t rows;
    const std::int32_t* labels;  // nullable
    LangevinStep step;           // step.step is the first step's key
    std::uint32_t steps;
    float* trace;  // nullable: [steps, rows] energies after each step
};

template <int ROWS, Precision P>
__global__ void __launch_bounds__(block::threads) langevin_chain_fused(Tile t, Chains c) {
    extern __shared__ __align__(128) unsigned char shared[];
    float* smem = reinterpret_cast<float*>(shared);
    const mlp_block::Rows rows = mlp_block::block_rows(ROWS, c.rows);
    const int d = t.widths[0], ld = t.ld[0];
    float* xs = smem + t.offset[0];
    float* x = c.x + rows.first * d;
    for (int e = threadIdx.x; e < ROWS * d; e += block::threads) {
        const int r = e / d, k = e % d;
        xs[r * ld + k] = r < rows.valid ? x[static_cast<std::int64_t>(r) * d + k] : 0.0f;
    }
    __syncthreads();
    const LangevinStep& s = c.step;
    auto x_at = [&](int r, int k) { return xs[r * ld + k]; };
    auto no_hidden = [](int, int, int, const float*) {};
    auto no_delta = [](int, int, int, const float*) {};
    const std::int32_t* labels = c.labels ? c.labels + rows.first : nullptr;
    for (std::uint32_t n = 0; n <= c.steps; ++n) {
        if (n == c.steps && !c.trace) break;
        mlp_block::forward<ROWS, P>(t, smem, x_at, no_hidden);
        auto on_energy = [&](int r, float e) {
            if (n > 0 && c.trace) c.trace[static_cast<std::int64_t>(n - 1) * c.rows + rows.first + r] = e;
        };
        mlp_block::energy_head<ROWS>(t, smem, labels, rows.valid, n < c.steps, on_energy);
        if (n == c.steps) break;
        const std::uint32_t key = s.step + n;
        auto update = [&](int r, int col, const float* g) {
            if (r >= rows.valid) return;
            float eps[4];
            normal4(philox_block(s.seed, RngPurpose::LangevinNoise,
                                 s.first_chain + static_cast<std::uint32_t>(rows.first + r), key,
                                 static_cast<std::uint32_t>(col / 4)),
                    eps);
#pragma unroll
            for (int j = 0; j < 4; ++j) {
                if (col + j >= d) break;
                float v = xs[r * ld + col + j] - s.alpha * g[j] + s.sigma * eps[j];
                if (s.clamp) v = fminf(fmaxf(v, s.lo), s.hi);
                xs[r * ld + col + j] = v;
            }
        };
        mlp_block::backward<ROWS, P>(t, smem, no_delta, true, update);
    }
    for (int e = threadIdx.x; e < rows.valid * d; e += block::threads) x[e] = xs[e / d * ld + e % d];
}

template <int ROWS, Precision P>
void launch(const Tile& t, const Chains& c, cudaStream_t stream) {
    const auto kernel = langevin_chain_fused<ROWS, P>;
    EBMKIT_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, t.bytes));
    kernel<<<static_cast<unsigned>((c.rows + ROWS - 1) / ROWS), block::threads, t.bytes, stream>>>(t, c);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
}

template <Precision P>
void launch_rows(int rows_per_block, const Tile& t, const Chains& c, cudaStream_t stream) {
    switch (rows_per_block) {
        case 16: return launch<16, P>(t, c, stream);
        case 32: return launch<32, P>(t, c, stream);
        default: return launch<64, P>(t, c, stream);
    }
}

}  // namespace

int langevin_chain_fused_rows(const MlpLayers& mlp, std::int64_t rows) {
    return mlp_block::rows_per_block(mlp, rows, mlp.precision, true, block::device_limits());
}

void langevin_chain_fused(const MlpLayers& mlp, float* x, std::int64_t rows, const std::int32_t* labels,
                          const LangevinStep& first, std::uint32_t steps, float* trace, CUstream_st* stream) {
    if (rows == 0) return;
    const int r = langevin_chain_fused_rows(mlp, rows);
    if (r == 0) throw Error("langevin fused chain: the chains and the model do not fit in a block's shared memory");
    const Tile t = mlp_block::plan(mlp, r, mlp.precision, true);
    const Chains c{x, rows, labels, first, steps, trace};
    switch (mlp.precision) {
        case Precision::Fp32: return launch_rows<Precision::Fp32>(r, t, c, stream);
        case Precision::Tf32: return launch_rows<Precision::Tf32>(r, t, c, stream);
        case Precision::Bf16: return launch_rows<Precision::Bf16>(r, t, c, stream);
    }
}

}  // namespace ebmkit::kernels
