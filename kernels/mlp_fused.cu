// MLP energy, fused (kernels/mlp_block.cuh): one kernel per call computes, for a tile of
// rows per block that never leaves shared memory,
//   Energy:    logits and E(x) (or E(x, y))
//   Score:     E and dE/dx, the forward, the LSE backward and every layer's backward
//   ParamGrad: from given dL/dlogits, the hidden activations a_l and deltas dL/dz_l,
//              written to global memory for the weight gradients dW_l = delta_{l+1}^T a_l,
//              which cuBLAS computes on tensor cores, and the bias gradients (column sums)
// Launch strategy: a block of 256 threads per 16, 32 or 64 rows (mlp_block::rows_per_block),
// dynamic shared memory sized by the plan; FP32 SIMT, or TF32 / BF16 tensor cores.
#include <cuda_runtime.h>

#include <string>

#include "kernels/columns.hpp"
#include "kernels/gemm.hpp"
#include "kernels/mlp_block.cuh"
#include "kernels/mlp_fused.hpp"

namespace ebmkit::kernels {

namespace {

using mlp_block::max_layers;
using mlp_block::Tile;

enum class Mode { Energy, Score, ParamGrad };

struct Io {
    const float* x;
    std::int64_t rows;
    const std::int32_t* labels;  // nullable
    float* logits;               // Energy, nullable
    float* energy;               // Energy / Score, nullable
    float* grad;                 // Score: dE/dx
    const float* dlogits;        // ParamGrad
    float* activations[max_layers];  // ParamGrad: a_l [rows, widths[l]], l = 1 .. L-1
    float* deltas[max_layers];       // ParamGrad: dL/dz_l [rows, widths[l]], l = 1 .. L-1
};

template <int ROWS, Precision P, Mode M>
__global__ void __launch_bounds__(block::threads) mlp_fused(Tile t, Io io) {
    extern __shared__ __align__(128) unsigned char shared[];
    float* smem = reinterpret_cast<float*>(shared);
    const mlp_block::Rows rows = mlp_block::block_rows(ROWS, io.rows);
    const int d = t.widths[0];
    const float* x = io.x + rows.first * d;
    auto x_at = [&](int r, int k) { return r < rows.valid ? x[static_cast<std::int64_t>(r) * d + k] : 0.0f; };
    // Stores [r][c .. c+3] of a [rows, cols] global matrix for the block's valid rows.
    auto store_rows = [&](float* out, int cols, int r, int c, const float* v) {
        if (r >= rows.valid) return;
        float* row = out + (rows.first + r) * cols;
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            if (c + j < cols) row[c + j] = v[j];
        }
    };
    auto on_hidden = [&](int l, int r, int c, const float* z) {
        if constexpr (M == Mode::ParamGrad) {
            float a[4];
#pragma unroll
            for (int j = 0; j < 4; ++j) a[j] = activate(t.act, t.slope, z[j]);
            store_rows(io.activations[l], t.widths[l], r, c, a);
        }
    };
    mlp_block::forward<ROWS, P>(t, smem, x_at, on_hidden);

    const std::int32_t* labels = io.labels ? io.labels + rows.first : nullptr;
    auto on_energy = [&](int r, float e) {
        if (io.energy) io.energy[rows.first + r] = e;
    };
    if constexpr (M == Mode::Energy) {
        if (io.logits) {
            const float* logits = smem + t.offset[t.layers];
            const int k = t.widths[t.layers];
            for (int e = threadIdx.x; e < rows.valid * k; e += block::threads) {
                io.logits[rows.first * k + e] = logits[e / k * t.ld[t.layers] + e % k];
            }
        }
        mlp_block::energy_head<ROWS>(t, smem, labels, rows.valid, false, on_energy);
    } else if constexpr (M == Mode::Score) {
        mlp_block::energy_head<ROWS>(t, smem, labels, rows.valid, true, on_energy);
        auto no_delta = [](int, int, int, const float*) {};
        auto on_input = [&](int r, int c, const float* g) { store_rows(io.grad, d, r, c, g); };
        mlp_block::backward<ROWS, P>(t, smem, no_delta, true, on_input);
    } else {
        float* dlogits = smem + t.offset[t.layers];
        const int k = t.widths[t.layers];
        for (int e = threadIdx.x; e < ROWS * k; e += block::threads) {
            const int r = e / k;
            dlogits[r * t.ld[t.layers] + e % k] = r < rows.valid ? io.dlogits[(rows.first + r) * k + e % k] : 0.0f;
        }
        __syncthreads();
        auto on_delta = [&](int l, int r, int c, const float* delta) { store_rows(io.deltas[l], t.widths[l], r, c, delta); };
        auto no_input = [](int, int, const float*) {};
        mlp_block::backward<ROWS, P>(t, smem, on_delta, false, no_input);
    }
}

template <int ROWS, Precision P, Mode M>
void launch(const Tile& t, const Io& io, cudaStream_t stream) {
    const auto kernel = mlp_fused<ROWS, P, M>;
    EBMKIT_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, t.bytes));
    const auto blocks = static_cast<unsigned>((io.rows + ROWS - 1) / ROWS);
    kernel<<<blocks, block::threads, t.bytes, stream>>>(t, io);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
}

template <Precision P, Mode M>
void launch_rows(int rows_per_block, const Tile& t, const Io& io, cudaStream_t stream) {
    switch (rows_per_block) {
        case 16: return launch<16, P, M>(t, io, stream);
        case 32: return launch<32, P, M>(t, io, stream);
        default: return launch<64, P, M>(t, io, stream);
    }
}

template <Mode M>
void launch_fused(const MlpLayers& mlp, const Io& io, cudaStream_t stream) {
    if (io.rows == 0) return;
    const int r = mlp_fused_rows(mlp, io.rows);
    if (r == 0) throw Error("mlp fused kernels: the model does not fit in a block's shared memory");
    const Tile t = mlp_block::plan(mlp, r, mlp.precision, false);
    switch (mlp.precision) {
        case Precision::Fp32: return launch_rows<Precision::Fp32, M>(r, t, io, stream);
        case Precision::Tf32: return launch_rows<Precision::Tf32, M>(r, t, io, stream);
        case Precision::Bf16: return launch_rows<Precision::Bf16, M>(r, t, io, stream);
    }
}

}  // namespace

int mlp_fused_rows(const MlpLayers& mlp, std::int64_t rows) {
    return mlp_block::rows_per_block(mlp, rows, mlp.precision, false, block::device_limits());
}

void mlp_fused_energy(const MlpLayers& mlp, const float* x, std::int64_t rows, const std::int32_t* labels,
                      float* logits, float* energy, float* grad, CUstream_st* stream) {
    Io io{};
    io.x = x;
    io.rows = rows;
    io.labels = labels;
    io.logits = logits;
    io.energy = energy;
    io.grad = grad;
    if (grad) launch_fused<Mode::Score>(mlp, io, stream);
    else launch_fused<Mode::Energy>(mlp, io, stream);
}

std::size_t mlp_fused_param_grad_floats(const MlpLayers& mlp, std::int64_t rows) {
    std::size_t hidden = 0;
    for (std::size_t l = 1; l + 1 < mlp.widths.size(); ++l) hidden += static_cast<std::size_t>(mlp.widths[l]);
    return 2 * hidden * static_cast<std::size_t>(rows);
}

void mlp_fused_param_grad(cublasContext* cublas, CUstream_st* stream, const MlpLayers& mlp, const float* x,
                          std::int64_t rows, const float* dlogits, float* workspace,
                          const std::vector<float*>& dweights, const std::vector<float*>& dbiases, bool accumulate) {
    const int layers = static_cast<int>(mlp.weights.size());
    Io io{};
    io.x = x;
    io.rows = rows;
    io.dlogits = dlogits;
    float* at = workspace;
    for (int l = 1; l < layers; ++l) {
        io.activations[l] = at;
        io.deltas[l] = at + rows * mlp.widths[l];
        at += 2 * rows * mlp.widths[l];
    }
    launch_fused<Mode::ParamGrad>(mlp, io, stream);
    const float keep = accumulate ? 1.0f : 0.0f;
    for (int l = 0; l < layers; ++l) {
        const int in = static_cast<int>(mlp.widths[l]), out = static_cast<int>(mlp.widths[l + 1]);
        const float* delta = l + 1 == layers ? dlogits : io.deltas[l + 1];
        const float* input = l == 0 ? x : io.activations[l];
        // dW_l [out, in] = delta_{l+1}^T a_l, db_l = column sums of delta_{l+1}.
        gemm(cublas, mlp.precision, true, false, out, in, static_cast<int>(rows), 1.0f, delta, out, input, in, keep,
             dweights[l], in);
        scaled_column_sums(delta, rows, out, 1.0f, accumulate, dbiases[l], stream);
    }
}

}  // namespace ebmkit::kernels
