// Launchers of the score family: its draws and Tweedie's step (kernels/score.cu), and
// denoising score matching's loss and gradient, fused (kernels/score_fused.cu) or
// unfused (kernels/score_unfused.cu). Plain C++: host/ includes this without CUDA headers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/launch_shape.hpp"
#include "kernels/mlp.hpp"
#include "kernels/operation.hpp"

struct CUstream_st;
struct cublasContext;

namespace ebmkit::kernels {

inline constexpr int score_threads = 256;

// A thread per (row, four values) of a [rows, d] draw.
inline LaunchShape score_draw_shape(std::int64_t rows, std::int64_t d) {
    return one_per_thread(rows * ((d + 3) / 4), score_threads, "score draws");
}

// sigma [rows] = sigmas[level] and noise [rows, d] (kernels/score_rule.hpp), sigmas on the device.
void score_perturbation(std::uint64_t seed, const float* sigmas, int levels, std::int64_t rows, std::int64_t d,
                        std::uint32_t step, std::uint32_t first_row, float* sigma, float* noise, CUstream_st* stream);
// v [rows, d]: normals or signs.
void score_projections(std::uint64_t seed, bool gaussian, std::int64_t rows, std::int64_t d, std::uint32_t step,
                       std::uint32_t first_row, float* v, CUstream_st* stream);
// x[i] -= k g[i] for i < n (grid-stride).
void scaled_subtract(float* x, const float* g, std::int64_t n, float k, CUstream_st* stream);

// Denoising score matching on x [rows, D] with noise [rows, D] and sigma [rows]
// (ebmkit/score.hpp): *loss = scale * the sum of the rows' losses and, when dweights is
// non-empty, every dweights[l], dbiases[l] = its parameter gradient (overwritten). The
// fused second-order kernel (kernels/score_fused.cuh), then cuBLAS's weight products
// and the column sums. can_implement: at most 8 layers, and 16 rows' buffers (three per
// hidden layer, two for the output) plus the staging within a block's shared memory.
struct FusedDenoisingScore {
    struct Arguments {
        cublasContext* cublas = nullptr;
        MlpLayers mlp;
        const float* x = nullptr;
        const float* noise = nullptr;
        const float* sigma = nullptr;
        std::int64_t rows = 0;
        bool scaled_by_noise = false;
        bool sigma_squared_weight = false;
        float scale = 1.0f;
        float* loss = nullptr;
        std::vector<float*> dweights, dbiases;
    };
    static Status can_implement(const Arguments& a);
    static std::size_t workspace_bytes(const Arguments& a);
    static void run(const Arguments& a, void* workspace, CUstream_st* stream);
};

// The same loss and gradient for any widths: cuBLAS's products and elementwise kernels
// (kernels/score_unfused.cuh), the passes one at a time through global memory.
struct UnfusedDenoisingScore {
    using Arguments = FusedDenoisingScore::Arguments;
    static Status can_implement(const Arguments&) { return {}; }
    static std::size_t workspace_bytes(const Arguments& a);
    static void run(const Arguments& a, void* workspace, CUstream_st* stream);
};

// Sliced score matching (ebmkit/score.hpp) on x [rows, D] with projections v [rows, D]:
// *loss = scale * the sum of the rows' losses and, when dweights is non-empty, every
// dweights[l], dbiases[l] = its parameter gradient (overwritten). Order-2 Taylor passes
// (kernels/score_sliced.cuh), each one launch of the fused pass where fused is set and
// the model fits it (at most 8 layers, 16 rows' jets of every layer within a block's
// shared memory), else cuBLAS's products and elementwise kernels (any widths).
struct SlicedScore {
    struct Arguments {
        cublasContext* cublas = nullptr;
        bool fused = true;
        MlpLayers mlp;
        const float* x = nullptr;
        const float* v = nullptr;
        std::int64_t rows = 0;
        bool variance_reduced = false;
        float scale = 1.0f;
        float* loss = nullptr;
        std::vector<float*> dweights, dbiases;
    };
    static Status can_implement(const Arguments&) { return {}; }
    // Whether run takes the fused pass: fused set and the model fits it on this device.
    static bool fuses(const Arguments& a);
    static std::size_t workspace_bytes(const Arguments& a);
    static void run(const Arguments& a, void* workspace, CUstream_st* stream);
};

}  // namespace ebmkit::kernels
