// Launchers of kernels/rbm.cu (the evaluation kernels: kernels/rbm_eval.hpp). Plain
// C++: host/ includes this without CUDA headers.
#pragma once

#include <cstdint>

#include "ebmkit/context.hpp"
#include "ebmkit/philox.hpp"
#include "kernels/launch_shape.hpp"

struct CUstream_st;
struct cublasContext;

namespace ebmkit::kernels {

// Device pointers to an RBM: w [visible, hidden] row-major, b [visible], c [hidden], and
// the precision of its products.
struct RbmParams {
    const float* w;
    const float* b;
    const float* c;
    std::int64_t visible, hidden;
    Precision precision;
};

enum class RbmUnits { Probabilities, Samples };

// out [rows, hidden] = sigm(c + v W), or Bernoulli samples of it keyed
// (seed, GibbsHidden, first_chain + row, step, unit). step_offset: a device counter
// added to every step key where given (a replayed graph's, host/ops/graph.hpp).
void rbm_hidden(const RbmParams& rbm, const float* v, std::int64_t rows, float* out, RbmUnits units,
                std::uint64_t seed, std::uint32_t first_chain, std::uint32_t step, CUstream_st* stream,
                const std::uint32_t* step_offset = nullptr);
// out [rows, visible] = sigm(b + h W^T), or Bernoulli samples keyed (seed, GibbsVisible, first_chain + row, step, unit).
void rbm_visible(const RbmParams& rbm, const float* h, std::int64_t rows, float* out, RbmUnits units,
                 std::uint64_t seed, std::uint32_t first_chain, std::uint32_t step, CUstream_st* stream,
                 const std::uint32_t* step_offset = nullptr);
// Chains per block rbm_gibbs_chain uses for `rows` chains, or 0 when v and h of 16
// chains do not fit in a block's shared memory (the caller then loops rbm_hidden /
// rbm_visible).
int rbm_gibbs_chain_rows(const RbmParams& rbm, std::int64_t rows);
// `sweeps` block-Gibbs sweeps of v [rows, D] in place, keyed first_step, first_step + 1, ...
// exactly as rbm_hidden then rbm_visible with Samples; h [rows, M] receives the last
// hidden sample. One launch; each block (or thread-block cluster, by the plan
// rbm_body::gibbs_chain_plan makes of `plan`) keeps its chains on chip throughout.
void rbm_gibbs_chain(const RbmParams& rbm, float* v, float* h, std::int64_t rows, std::uint64_t seed,
                     std::uint32_t first_chain, std::uint32_t first_step, std::uint32_t sweeps,
                     const std::uint32_t* step_offset, TilePlan plan, CUstream_st* stream);

// The product kernels (rbm_hidden, rbm_visible and the evaluation products): a block
// of 256 threads per 64-row x 64-column output tile; rows beyond the grid's y limit
// are an error.
inline constexpr int rbm_product_threads = 256, rbm_product_tile = 64;
inline LaunchShape rbm_product_shape(std::int64_t rows, std::int64_t cols) {
    constexpr std::int64_t max_rows = std::int64_t{65535} * rbm_product_tile;  // gridDim.y limit
    if (rows > max_rows) {
        throw Error("rbm kernels: " + std::to_string(rows) + " rows exceed the " + std::to_string(max_rows) +
                    " one launch covers");
    }
    LaunchShape s = one_per_thread(cols, rbm_product_tile, "rbm kernels");
    s.threads = rbm_product_threads;
    s.blocks_y = static_cast<unsigned>(std::max<std::int64_t>((rows + rbm_product_tile - 1) / rbm_product_tile, 1));
    return s;
}

// dw [D, M] = (accumulate ? dw : 0) + scale * v^T ph, v [rows, D], ph [rows, M] (cuBLAS).
void outer_product_sum(cublasContext* cublas, const float* v, const float* ph, std::int64_t rows, std::int64_t d,
                       std::int64_t m, float scale, bool accumulate, Precision precision, float* dw);

}  // namespace ebmkit::kernels
