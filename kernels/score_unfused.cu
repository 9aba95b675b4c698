// Denoising score matching's loss and parameter gradient for any widths (kernels/score.hpp's
// UnfusedDenoisingScore): the passes of kernels/score_fused.cuh one at a time through
// global memory, every product a cuBLAS call at the context's precision:
//   x~ = x + sigma eps; forward z_l, a_l (bias + activation: kernels/mlp.cuh); the head
//   delta_L = -softmax; backward g_l = delta_{l+1} W_l, delta_l = g_l act'(z_l); the
//   residual, the tangent u and the row losses; tangent forward zd_l, ad_l = act'(z_l) zd_l;
//   the tangent head; tangent backward deltad_l = gd_l act'(z_l) + g_l act''(z_l) zd_l;
//   dW_l = deltad^T a + delta^T ad, db_l their column sums; the loss's sum over the rows.
#include <cuda_runtime.h>

#include <algorithm>

#include "kernels/columns.hpp"
#include "kernels/gemm.hpp"
#include "kernels/launch.cuh"
#include "kernels/mlp.cuh"
#include "kernels/score.hpp"
#include "kernels/score_unfused.cuh"

namespace ebmkit::kernels {

namespace {

namespace body = score_unfused_body;

__global__ void perturb(const float* x, const float* noise, const float* sigma, std::int64_t rows, std::int64_t d,
                        float* noisy) {
    body::perturb(x, noise, sigma, rows, d, noisy);
}
__global__ void residual_rows(const float* g, const float* noise, const float* sigma, std::int64_t rows, std::int64_t d,
                              bool scaled, bool weighted, float scale, float* residual, float* u, float* row_loss) {
    body::residual_rows(g, noise, sigma, rows, d, scaled, weighted, scale, residual, u, row_loss);
}
__global__ void tangent_head_rows(const float* delta, const float* fd, std::int64_t rows, std::int64_t k, float* deltad) {
    body::tangent_head_rows(delta, fd, rows, k, deltad);
}
__global__ void times_act_grad(const float* g, const float* z, std::int64_t n, ActivationKind act, float slope,
                               float* out) {
    body::times_act_grad(g, z, n, act, slope, out);
}
__global__ void tangent_delta(float* gd, const float* g, const float* z, const float* zd, std::int64_t n,
                              ActivationKind act, float slope) {
    body::tangent_delta(gd, g, z, zd, n, act, slope);
}
__global__ void bias_activation(float* z, float* a, const float* b, std::int64_t rows, std::int64_t cols,
                                ActivationKind act, float slope) {
    mlp_body::bias_activation(z, a, b, rows, cols, act, slope);
}

LaunchShape elements(std::int64_t n) { return grid_stride(n, score_threads, score_threads, device_limits()); }

int as_int(std::int64_t v) { return static_cast<int>(v); }

// Floats of the workspace: x~, the residual, u [rows, D]; the row losses [rows]; per
// layer l = 1 .. L: z, a, g, delta, zd, ad, deltad [rows, w_l]; lse [rows]; the column
// sums' partials.
struct Layout {
    std::size_t noisy, residual, u, row_loss, lse, partials, total;
    std::vector<std::size_t> z, a, g, delta, zd, ad, deltad;  // index l (0 unused)
};

Layout layout(const MlpLayers& mlp, std::int64_t rows) {
    Layout l{};
    const auto n = static_cast<std::size_t>(rows), d = static_cast<std::size_t>(mlp.widths[0]);
    WorkspaceCarver carver;
    l.noisy = carver.take(n * d);
    l.residual = carver.take(n * d);
    l.u = carver.take(n * d);
    l.row_loss = carver.take(n);
    l.lse = carver.take(n);
    for (auto* v : {&l.z, &l.a, &l.g, &l.delta, &l.zd, &l.ad, &l.deltad}) v->assign(mlp.widths.size(), 0);
    for (std::size_t i = 1; i < mlp.widths.size(); ++i) {
        const std::size_t w = n * static_cast<std::size_t>(mlp.widths[i]);
        for (auto* v : {&l.z, &l.a, &l.g, &l.delta, &l.zd, &l.ad, &l.deltad}) (*v)[i] = carver.take(w);
    }
    l.partials = carver.take(std::max(layer_param_grad_partial_floats(mlp, rows), column_sum_partial_floats(rows, 1)));
    l.total = carver.total();
    return l;
}

}  // namespace

std::size_t UnfusedDenoisingScore::workspace_bytes(const Arguments& a) { return sizeof(float) * layout(a.mlp, a.rows).total; }

void UnfusedDenoisingScore::run(const Arguments& args, void* workspace_bytes, CUstream_st* stream) {
    const MlpLayers& mlp = args.mlp;
    const std::int64_t rows = args.rows, d = mlp.widths[0];
    if (rows == 0) return;
    const int layers = static_cast<int>(mlp.weights.size());
    const std::int64_t k = mlp.widths[layers];
    auto* w = static_cast<float*>(workspace_bytes);
    const Layout l = layout(mlp, rows);
    cublasContext* cublas = args.cublas;
    const Precision p = mlp.precision;
    const ActivationKind act = mlp.activation;
    const float slope = mlp.leaky_slope;
    auto width = [&](int i) { return mlp.widths[static_cast<std::size_t>(i)]; };
    // a_l and ad_l: the input x~ and u for l = 0.
    auto a_of = [&](int i) { return i == 0 ? w + l.noisy : w + l.a[i]; };
    auto ad_of = [&](int i) { return i == 0 ? w + l.u : w + l.ad[i]; };

    launch_planned(perturb, elements(rows * d), stream, args.x, args.noise, args.sigma, rows, d, w + l.noisy);
    // Forward: z_{l+1} = a_l W_l^T + b_l, a_{l+1} = act(z_{l+1}) for the hidden layers.
    for (int i = 0; i < layers; ++i) {
        const std::int64_t in = width(i), out = width(i + 1);
        gemm(cublas, p, false, true, as_int(rows), as_int(out), as_int(in), 1.0f, a_of(i), as_int(in), mlp.weights[i],
             as_int(in), 0.0f, w + l.z[i + 1], as_int(out));
        launch_planned(bias_activation, elements(rows * out), stream, w + l.z[i + 1],
                       i + 1 < layers ? w + l.a[i + 1] : nullptr, mlp.biases[i], rows, out, act, slope);
    }
    // The head: delta_L = -softmax f.
    energy_head(w + l.z[layers], nullptr, rows, k, w + l.lse, w + l.delta[layers], nullptr, stream);
    // Backward: g_l = delta_{l+1} W_l, delta_l = g_l act'(z_l); g_0 into the residual's place.
    for (int i = layers - 1; i >= 0; --i) {
        const std::int64_t in = width(i), out = width(i + 1);
        float* g = i == 0 ? w + l.residual : w + l.g[i];
        gemm(cublas, p, false, false, as_int(rows), as_int(in), as_int(out), 1.0f, w + l.delta[i + 1], as_int(out),
             mlp.weights[i], as_int(in), 0.0f, g, as_int(in));
        if (i > 0) {
            launch_planned(times_act_grad, elements(rows * in), stream, g, w + l.z[i], rows * in, act, slope,
                           w + l.delta[i]);
        }
    }
    launch_planned(residual_rows, elements(rows), stream, w + l.residual, args.noise, args.sigma, rows, d,
                   args.scaled_by_noise, args.sigma_squared_weight, args.scale, w + l.residual, w + l.u, w + l.row_loss);
    // Tangent forward: zd_{l+1} = ad_l W_l^T, ad_{l+1} = act'(z_{l+1}) zd_{l+1}.
    for (int i = 0; i < layers; ++i) {
        const std::int64_t in = width(i), out = width(i + 1);
        gemm(cublas, p, false, true, as_int(rows), as_int(out), as_int(in), 1.0f, ad_of(i), as_int(in), mlp.weights[i],
             as_int(in), 0.0f, w + l.zd[i + 1], as_int(out));
        if (i + 1 < layers) {
            launch_planned(times_act_grad, elements(rows * out), stream, w + l.zd[i + 1], w + l.z[i + 1], rows * out,
                           act, slope, w + l.ad[i + 1]);
        }
    }
    // The tangent head and backward: deltad_L, then deltad_l for the hidden layers.
    launch_planned(tangent_head_rows, elements(rows), stream, w + l.delta[layers], w + l.zd[layers], rows, k,
                   w + l.deltad[layers]);
    for (int i = layers - 1; i >= 1; --i) {
        const std::int64_t in = width(i), out = width(i + 1);
        gemm(cublas, p, false, false, as_int(rows), as_int(in), as_int(out), 1.0f, w + l.deltad[i + 1], as_int(out),
             mlp.weights[i], as_int(in), 0.0f, w + l.deltad[i], as_int(in));
        launch_planned(tangent_delta, elements(rows * in), stream, w + l.deltad[i], w + l.g[i], w + l.z[i], w + l.zd[i],
                       rows * in, act, slope);
    }
    float* partials = w + l.partials;
    scaled_column_sums(w + l.row_loss, rows, 1, args.scale, false, args.loss, partials, stream);
    if (args.dweights.empty()) return;
    for (int i = 0; i < layers; ++i) {
        const std::int64_t in = width(i), out = width(i + 1);
        LayerParamGrad::run({cublas, p, w + l.deltad[i + 1], a_of(i), rows, in, out, false, args.dweights[i],
                             args.dbiases[i]},
                            partials, stream);
        gemm(cublas, p, true, false, as_int(out), as_int(in), as_int(rows), 1.0f, w + l.delta[i + 1], as_int(out),
             ad_of(i), as_int(in), 1.0f, args.dweights[i], as_int(in));
    }
}

}  // namespace ebmkit::kernels
