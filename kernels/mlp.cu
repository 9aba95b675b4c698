// MLP energy, unfused: each layer's matrix product through cuBLAS (FP32, or TF32 / BF16
// on tensor cores) and elementwise kernels for bias + activation, the
// energy head and the activation derivatives.
//   forward:  z_l = a_{l-1} W_l^T + b_l,  a_l = act(z_l),  logits = z_L
//   head:     E = -LSE(logits), dE/dlogits = -softmax(logits)   (or -logits[y], -onehot(y))
//   backward: g_{l-1} = dz_l W_l,  dz_{l-1} = g_{l-1} * act'(z_{l-1}),  dx = g_0
//             dW_l = dz_l^T a_{l-1},  db_l = column sums of dz_l
// This is the baseline the fused kernels are measured against and the general path
// for every width. Workspace layout: for each layer z_l then a_l (a_L absent), then
// lse [rows], then two ping-pong gradient buffers [rows, max width], then the bias
// gradients' column-sum partials.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>

#include "kernels/columns.hpp"
#include "kernels/cuda_check.hpp"
#include "kernels/gemm.hpp"
#include "kernels/logsumexp.hpp"
#include "kernels/mlp.cuh"
#include "kernels/mlp.hpp"

namespace ebmkit::kernels {

namespace {

// The bodies: kernels/mlp.cuh.
__global__ void bias_activation(float* __restrict__ z, float* __restrict__ a, const float* __restrict__ b,
                                std::int64_t rows, std::int64_t cols, ActivationKind act, float slope) {
    mlp_body::bias_activation(z, a, b, rows, cols, act, slope);
}

__global__ void activation_backward(float* __restrict__ g, const float* __restrict__ z, std::int64_t n,
                                    ActivationKind act, float slope) {
    mlp_body::activation_backward(g, z, n, act, slope);
}

__global__ void energy_head_kernel(const float* __restrict__ logits, const std::int32_t* __restrict__ labels,
                                   const float* __restrict__ lse, std::int64_t rows, std::int64_t k,
                                   float* __restrict__ dlogits, float* __restrict__ energy) {
    mlp_body::energy_head(logits, labels, lse, rows, k, dlogits, energy);
}

int as_int(std::int64_t v) { return static_cast<int>(v); }

// Offsets of z_l and a_l in the workspace.
struct Layout {
    std::vector<std::size_t> z, a;
    std::size_t lse, grad0, grad1, columns, total;
};

Layout layout(const MlpLayers& mlp, std::int64_t rows) {
    Layout l;
    std::size_t at = 0;
    const std::size_t layers = mlp.weights.size();
    const auto r = static_cast<std::size_t>(rows);
    for (std::size_t i = 0; i < layers; ++i) {
        const auto w = static_cast<std::size_t>(mlp.widths[i + 1]);
        l.z.push_back(at);
        at += r * w;
        l.a.push_back(at);
        if (i + 1 < layers) at += r * w;
    }
    l.lse = at;
    at += r;
    const auto max_width = static_cast<std::size_t>(*std::max_element(mlp.widths.begin(), mlp.widths.end()));
    l.grad0 = at;
    at += r * max_width;
    l.grad1 = at;
    at += r * max_width;
    l.columns = at;
    at += layer_param_grad_partial_floats(mlp, rows);
    l.total = at;
    return l;
}

}  // namespace

std::size_t MlpForward::workspace_bytes(const Arguments& a) { return sizeof(float) * layout(a.mlp, a.rows).total; }

MlpScratch mlp_scratch(const MlpLayers& mlp, std::int64_t rows, void* workspace_bytes) {
    auto* workspace = static_cast<float*>(workspace_bytes);
    const Layout l = layout(mlp, rows);
    // MlpBackward writes the last layer's g into buffer (L - 1) % 2, so dlogits
    // lives in buffer L % 2.
    const std::size_t dlogits = mlp.weights.size() % 2 ? l.grad1 : l.grad0;
    return {workspace + l.z.back(), workspace + l.lse, workspace + dlogits};
}

void MlpForward::run(const Arguments& args, void* workspace_bytes, CUstream_st* stream) {
    const MlpLayers& mlp = args.mlp;
    const std::int64_t rows = args.rows;
    cublasContext* cublas = args.cublas;
    const float* x = args.x;
    auto* workspace = static_cast<float*>(workspace_bytes);
    const Layout l = layout(mlp, rows);
    const float* input = x;
    for (std::size_t i = 0; i < mlp.weights.size(); ++i) {
        const std::int64_t in = mlp.widths[i], out = mlp.widths[i + 1];
        float* z = workspace + l.z[i];
        // z [rows, out] = input [rows, in] W^T.
        gemm(cublas, mlp.precision, false, true, as_int(rows), as_int(out), as_int(in), 1.0f, input, as_int(in),
             mlp.weights[i], as_int(in), 0.0f, z, as_int(out));
        const bool last = i + 1 == mlp.weights.size();
        float* a = last ? nullptr : workspace + l.a[i];
        const LaunchShape shape = mlp_elementwise_shape(rows * out, device_limits());
        bias_activation<<<shape.blocks, shape.threads, 0, stream>>>(z, a, mlp.biases[i], rows, out, mlp.activation,
                                                                       mlp.leaky_slope);
        EBMKIT_CUDA_CHECK(cudaGetLastError());
        input = a;
    }
}

void energy_head(const float* logits, const std::int32_t* labels, std::int64_t rows, std::int64_t k, float* lse,
                 float* dlogits, float* energy, CUstream_st* stream) {
    if (!labels) logsumexp_forward(logits, lse, rows, k, stream);
    const LaunchShape shape = mlp_elementwise_shape(rows * k, device_limits());
    energy_head_kernel<<<shape.blocks, shape.threads, 0, stream>>>(logits, labels, lse, rows, k, dlogits, energy);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
}

std::size_t layer_param_grad_partial_floats(const MlpLayers& mlp, std::int64_t rows) {
    std::size_t most = 0;
    for (std::size_t l = 1; l < mlp.widths.size(); ++l) most = std::max(most, column_sum_partial_floats(rows, mlp.widths[l]));
    return most;
}

std::size_t LayerParamGrad::workspace_bytes(const Arguments& a) {
    return sizeof(float) * column_sum_partial_floats(a.rows, a.out);
}

void LayerParamGrad::run(const Arguments& g, void* workspace, CUstream_st* stream) {
    gemm(g.cublas, g.precision, true, false, as_int(g.out), as_int(g.in), as_int(g.rows), 1.0f, g.delta, as_int(g.out),
         g.a, as_int(g.in), g.accumulate ? 1.0f : 0.0f, g.dw, as_int(g.in));
    scaled_column_sums(g.delta, g.rows, g.out, 1.0f, g.accumulate, g.db, static_cast<float*>(workspace), stream);
}

void MlpBackward::run(const Arguments& args, void* workspace_bytes, CUstream_st* stream) {
    const MlpLayers& mlp = args.mlp;
    const std::int64_t rows = args.rows;
    cublasContext* cublas = args.cublas;
    const float* x = args.x;
    float* dx = args.dx;
    const std::vector<float*>& dweights = args.dweights;
    auto* workspace = static_cast<float*>(workspace_bytes);
    const Layout l = layout(mlp, rows);
    const float* dz = args.dlogits;
    float* buffers[2] = {workspace + l.grad0, workspace + l.grad1};
    for (std::size_t n = mlp.weights.size(); n-- > 0;) {
        const std::int64_t in = mlp.widths[n], out = mlp.widths[n + 1];
        const float* input = n == 0 ? x : workspace + l.a[n - 1];
        if (!dweights.empty()) {
            LayerParamGrad::run({cublas, mlp.precision, dz, input, rows, in, out, args.accumulate, dweights[n],
                                 args.dbiases[n]},
                                workspace + l.columns, stream);
        }
        if (n == 0 && !dx) break;
        // g [rows, in] = dz W.
        float* g = n == 0 ? dx : buffers[n % 2];
        gemm(cublas, mlp.precision, false, false, as_int(rows), as_int(in), as_int(out), 1.0f, dz, as_int(out),
             mlp.weights[n], as_int(in), 0.0f, g, as_int(in));
        if (n > 0) {
            const LaunchShape shape = mlp_elementwise_shape(rows * in, device_limits());
            activation_backward<<<shape.blocks, shape.threads, 0, stream>>>(g, workspace + l.z[n - 1], rows * in,
                                                                             mlp.activation, mlp.leaky_slope);
            EBMKIT_CUDA_CHECK(cudaGetLastError());
        }
        dz = g;
    }
}

}  // namespace ebmkit::kernels
