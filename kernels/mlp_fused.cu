// MLP energy, fused (kernels/mlp_block.cuh): one kernel per call computes, for a tile of
// rows per block that never leaves shared memory,
//   Energy:    logits and E(x) (or E(x, y))
//   Score:     E and dE/dx, the forward, the LSE backward and every layer's backward
//   ParamGrad: from given dL/dlogits, the hidden activations a_l and deltas dL/dz_l,
//              written to global memory for the weight gradients dW_l = delta_{l+1}^T a_l,
//              which cuBLAS computes on tensor cores, and the bias gradients (column sums)
//   JemGrad:   ParamGrad with dL/dlogits from the JEM head (kernels/jem.cuh) applied to
//              the logits on chip, so the forward pass runs once
// Launch strategy: a block of 256 threads per 16, 32 or 64 rows (mlp_block::rows_per_block),
// or, for a few rows, a thread-block cluster per 16 rows sharing out each product's
// columns (mlp_block::tile_launch, Context::tile_plan); dynamic shared memory sized by
// the plan; FP32 SIMT, or TF32 / BF16 tensor cores.
#include <cuda_runtime.h>

#include <string>

#include "kernels/jem.hpp"
#include "kernels/launch.cuh"
#include "kernels/mlp.hpp"
#include "kernels/mlp_fused.cuh"
#include "kernels/mlp_fused.hpp"

namespace ebmkit::kernels {

namespace {

using namespace mlp_fused_body;

template <int ROWS, Precision P, Mode M>
__global__ void __launch_bounds__(block::threads) mlp_fused(Tile t, Io io) {
    extern __shared__ __align__(128) unsigned char shared[];
    mlp_fused_tile<ROWS, P, M>(t, io, reinterpret_cast<float*>(shared));
}

// The inputs every mode reads; the caller adds its outputs.
Io io_of(const float* x, std::int64_t rows, const std::int32_t* labels) {
    Io io{};
    io.x = x;
    io.rows = rows;
    io.labels = labels;
    return io;
}

TileLaunch plan_of(const MlpLayers& mlp, std::int64_t rows, TilePlan wanted) {
    return mlp_block::tile_launch(mlp, rows, false, device_limits(), wanted, "mlp fused kernels");
}

constexpr const char* too_big = "the model does not fit in a block's shared memory, or has more than 8 layers";

template <Mode M>
void launch_fused(const MlpLayers& mlp, const Io& io, TilePlan wanted, cudaStream_t stream) {
    if (io.rows == 0) return;
    const TileLaunch chosen = plan_of(mlp, io.rows, wanted);
    if (chosen.rows_per_block == 0) throw Error(std::string("mlp fused kernels: ") + too_big);
    const Tile t = mlp_block::plan(mlp, chosen.rows_per_block, mlp.precision, false);
    block::with_precision(mlp.precision, [&](auto p) {
        block::with_rows(chosen.rows_per_block, [&](auto rows) {
            launch_planned(mlp_fused<decltype(rows)::value, decltype(p)::value, M>, chosen.shape, stream, t, io);
        });
    });
}

}  // namespace

Status FusedMlpEnergy::can_implement(const Arguments& a) {
    if (plan_of(a.mlp, a.rows, a.plan).rows_per_block == 0) return {too_big};
    return {};
}

void FusedMlpEnergy::run(const Arguments& a, void*, CUstream_st* stream) {
    Io io = io_of(a.x, a.rows, a.labels);
    io.logits = a.logits;
    io.energy = a.energy;
    io.grad = a.grad;
    if (a.grad) launch_fused<Mode::Score>(a.mlp, io, a.plan, stream);
    else launch_fused<Mode::Energy>(a.mlp, io, a.plan, stream);
}

namespace {
// Floats of fused_param_grad's workspace: the hidden activations and deltas, then the
// weight gradients' partial sums.
std::size_t param_grad_floats(const MlpLayers& mlp, std::int64_t rows) {
    std::size_t hidden = 0;
    for (std::size_t l = 1; l + 1 < mlp.widths.size(); ++l) hidden += static_cast<std::size_t>(mlp.widths[l]);
    return 2 * hidden * static_cast<std::size_t>(rows) + layer_param_grad_partial_floats(mlp, rows);
}

// The fused backward kernel of mode M, then cuBLAS's weight gradients from the
// activations and deltas it left in the workspace and dlogits.
template <Mode M>
void fused_param_grad(cublasContext* cublas, CUstream_st* stream, const MlpLayers& mlp, Io io, const float* dlogits,
                      float* workspace, const std::vector<float*>& dweights, const std::vector<float*>& dbiases,
                      bool accumulate, TilePlan wanted) {
    const int layers = static_cast<int>(mlp.weights.size());
    const std::int64_t rows = io.rows;
    float* at = workspace;
    for (int l = 1; l < layers; ++l) {
        io.activations[l] = at;
        io.deltas[l] = at + rows * mlp.widths[l];
        at += 2 * rows * mlp.widths[l];
    }
    launch_fused<M>(mlp, io, wanted, stream);
    for (int l = 0; l < layers; ++l) {
        const float* delta = l + 1 == layers ? dlogits : io.deltas[l + 1];
        const float* input = l == 0 ? io.x : io.activations[l];
        LayerParamGrad::run({cublas, mlp.precision, delta, input, rows, mlp.widths[l], mlp.widths[l + 1], accumulate,
                             dweights[l], dbiases[l]},
                            at, stream);
    }
}

}  // namespace

Status FusedMlpParamGrad::can_implement(const Arguments& a) {
    if (plan_of(a.mlp, a.rows, a.plan).rows_per_block == 0) return {too_big};
    return {};
}

std::size_t FusedMlpParamGrad::workspace_bytes(const Arguments& a) {
    return sizeof(float) * param_grad_floats(a.mlp, a.rows);
}

void FusedMlpParamGrad::run(const Arguments& a, void* workspace, CUstream_st* stream) {
    Io io = io_of(a.x, a.rows, nullptr);
    io.dlogits = a.dlogits;
    fused_param_grad<Mode::ParamGrad>(a.cublas, stream, a.mlp, io, a.dlogits, static_cast<float*>(workspace), a.dweights,
                                      a.dbiases, a.accumulate, a.plan);
}

Status FusedJemGrad::can_implement(const Arguments& a) {
    if (plan_of(a.mlp, a.rows, a.plan).rows_per_block == 0) return {too_big};
    return {};
}

std::size_t FusedJemGrad::workspace_bytes(const Arguments& a) {
    return sizeof(float) * (param_grad_floats(a.mlp, a.rows) + static_cast<std::size_t>(a.rows * a.mlp.widths.back()));
}

void FusedJemGrad::run(const Arguments& a, void* workspace, CUstream_st* stream) {
    // The head's dlogits first, then what fused_param_grad lays out.
    auto* dlogits = static_cast<float*>(workspace);
    Io io = io_of(a.x, a.rows, a.labels);
    io.head = a.head;
    io.terms = a.terms;
    io.dlogits_out = dlogits;
    fused_param_grad<Mode::JemGrad>(a.cublas, stream, a.mlp, io, dlogits, dlogits + a.rows * a.mlp.widths.back(),
                                    a.dweights, a.dbiases, a.accumulate, a.plan);
}

}  // namespace ebmkit::kernels
