// Launchers of kernels/rbm.cu (the evaluation kernels: kernels/rbm_eval.hpp). Plain
// C++: host/ includes this without CUDA headers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ebmkit/context.hpp"
#include "ebmkit/philox.hpp"
#include "ebmkit/steps.hpp"
#include "kernels/launch_shape.hpp"
#include "kernels/operation.hpp"

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

// One conditional of the RBM over `rows` rows, a product kernel launch:
//   to_visible false: out [rows, hidden] = sigm(c + in W), in the visible states [rows, visible]
//   to_visible true:  out [rows, visible] = sigm(b + in W^T), in the hidden states [rows, hidden]
// or, with RbmUnits::Samples, Bernoulli samples of it keyed (seed, GibbsHidden or
// GibbsVisible, first_chain + row, step, unit). step_offset: a device counter added to
// every step key where given (a replayed graph's, host/ops/graph.hpp).
struct RbmHalfSweep {
    struct Arguments {
        RbmParams rbm;
        bool to_visible = false;
        const float* in = nullptr;
        std::int64_t rows = 0;
        float* out = nullptr;
        RbmUnits units = RbmUnits::Probabilities;
        std::uint64_t seed = 0;
        std::uint32_t first_chain = 0;
        std::uint32_t step = 0;
        const std::uint32_t* step_offset = nullptr;
        const float* field = nullptr;  // [rows, out's width] (nullable): added to each unit's input
    };
    static Status can_implement(const Arguments& a);
    static std::size_t workspace_bytes(const Arguments&) { return 0; }
    static void run(const Arguments& a, void* workspace, CUstream_st* stream);
};
// steps.count block-Gibbs sweeps of v [rows, D] in place, keyed steps.first, ... (plus
// *step_offset where given), chains first_chain + row, exactly as RbmHalfSweep's hidden then
// visible Samples; h [rows, M] receives the last hidden sample. One launch;
// each block (or thread-block cluster, by the plan rbm_body::gibbs_chain_plan makes of
// `plan`) keeps its chains on chip throughout. can_implement: v and h of 16 chains fit
// in a block's shared memory (else the caller loops RbmHalfSweep).
struct GibbsChain {
    struct Arguments {
        RbmParams rbm;
        float* v = nullptr;
        float* h = nullptr;
        std::int64_t rows = 0;
        std::uint64_t seed = 0;
        std::uint32_t first_chain = 0;
        Steps steps;
        const std::uint32_t* step_offset = nullptr;
        TilePlan plan = TilePlan::Auto;
        const float* clamp = nullptr;  // [rows, D] (nullable): nonzero where a visible unit keeps its value
        const float* field = nullptr;  // [rows, D] (nullable): added to every visible unit's input
    };
    static Status can_implement(const Arguments& a);
    static std::size_t workspace_bytes(const Arguments&) { return 0; }
    static void run(const Arguments& a, void* workspace, CUstream_st* stream);
};

// The product kernels (RbmHalfSweep and the evaluation products): a block
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
