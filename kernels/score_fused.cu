// Denoising score matching's loss and parameter gradient (kernels/score_fused.cuh): one
// launch of the fused second-order kernel per call, a block of 256 threads per 16, 32
// or 64 rows, then per layer two cuBLAS products (dW_l = deltad^T a + delta^T ad) and
// the bias's column sums, and the loss's sum over the rows. Deterministic: no atomics.
#include <cuda_runtime.h>

#include "kernels/columns.hpp"
#include "kernels/gemm.hpp"
#include "kernels/launch.cuh"
#include "kernels/score.hpp"
#include "kernels/score_fused.cuh"

namespace ebmkit::kernels {

namespace {

using score_fused::DenoisingIo;
using score_fused::Tile;

template <int ROWS, Precision P>
__global__ void __launch_bounds__(block::threads) denoising_score(Tile t, DenoisingIo io) {
    extern __shared__ __align__(128) unsigned char shared[];
    score_fused::denoising_tile<ROWS, P>(t, io, reinterpret_cast<float*>(shared));
}

constexpr const char* too_big =
    "the model does not fit the second-order kernel's shared memory (three buffers of 16 rows per hidden layer), or "
    "has more than 8 layers";

// The workspace: residual [rows, D], row losses [rows], then per layer a, ad [rows, w_l]
// and delta, deltad [rows, w_{l+1}], then the column sums' partials.
struct Layout {
    std::size_t residual, row_loss, partials, total;
    std::vector<std::size_t> a, ad, delta, deltad;
};

Layout layout(const MlpLayers& mlp, std::int64_t rows) {
    Layout l{};
    const auto n = static_cast<std::size_t>(rows);
    std::size_t at = 0;
    l.residual = at;
    at += n * static_cast<std::size_t>(mlp.widths[0]);
    l.row_loss = at;
    at += n;
    for (std::size_t i = 0; i + 1 < mlp.widths.size(); ++i) {
        const auto in = static_cast<std::size_t>(mlp.widths[i]), out = static_cast<std::size_t>(mlp.widths[i + 1]);
        l.a.push_back(at);
        l.ad.push_back(at + n * in);
        l.delta.push_back(at + 2 * n * in);
        l.deltad.push_back(at + 2 * n * in + n * out);
        at += 2 * n * (in + out);
    }
    l.partials = at;
    at += std::max(layer_param_grad_partial_floats(mlp, rows), column_sum_partial_floats(rows, 1));
    l.total = at;
    return l;
}

}  // namespace

Status FusedDenoisingScore::can_implement(const Arguments& a) {
    if (score_fused::rows_per_block(a.mlp, a.rows, device_limits()) == 0) return {too_big};
    return {};
}

std::size_t FusedDenoisingScore::workspace_bytes(const Arguments& a) { return sizeof(float) * layout(a.mlp, a.rows).total; }

void FusedDenoisingScore::run(const Arguments& a, void* workspace_bytes, CUstream_st* stream) {
    const MlpLayers& mlp = a.mlp;
    const std::int64_t rows = a.rows;
    if (rows == 0) return;
    const int rows_per_block = score_fused::rows_per_block(mlp, rows, device_limits());
    if (rows_per_block == 0) throw Error(std::string("denoising score kernel: ") + too_big);
    auto* workspace = static_cast<float*>(workspace_bytes);
    const Layout l = layout(mlp, rows);
    DenoisingIo io{};
    io.x = a.x;
    io.noise = a.noise;
    io.sigma = a.sigma;
    io.rows = rows;
    io.scaled_by_noise = a.scaled_by_noise;
    io.sigma_squared_weight = a.sigma_squared_weight;
    io.scale = a.scale;
    io.residual = workspace + l.residual;
    io.row_loss = workspace + l.row_loss;
    const int layers = static_cast<int>(mlp.weights.size());
    for (int i = 0; i < layers; ++i) {
        io.a[i] = workspace + l.a[i];
        io.ad[i] = workspace + l.ad[i];
        io.delta[i] = workspace + l.delta[i];
        io.deltad[i] = workspace + l.deltad[i];
    }
    const Tile t = score_fused::plan(mlp, rows_per_block, mlp.precision);
    const LaunchShape shape = row_tiles(rows, rows_per_block, block::threads, t.bytes, "denoising score kernel");
    block::with_precision(mlp.precision, [&](auto p) {
        block::with_rows(rows_per_block, [&](auto r) {
            launch_planned(denoising_score<decltype(r)::value, decltype(p)::value>, shape, stream, t, io);
        });
    });
    float* partials = workspace + l.partials;
    scaled_column_sums(io.row_loss, rows, 1, a.scale, false, a.loss, partials, stream);
    if (a.dweights.empty()) return;
    for (int i = 0; i < layers; ++i) {
        const std::int64_t in = mlp.widths[i], out = mlp.widths[i + 1];
        // dW = deltad^T a (with db = the column sums of deltad), then += delta^T ad.
        LayerParamGrad::run({a.cublas, mlp.precision, io.deltad[i], io.a[i], rows, in, out, false, a.dweights[i],
                             a.dbiases[i]},
                            partials, stream);
        gemm(a.cublas, mlp.precision, true, false, static_cast<int>(out), static_cast<int>(in), static_cast<int>(rows),
             1.0f, io.delta[i], static_cast<int>(out), io.ad[i], static_cast<int>(in), 1.0f, a.dweights[i],
             static_cast<int>(in));
    }
}

}  // namespace ebmkit::kernels
