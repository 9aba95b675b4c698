// The bodies of the RBM product and chain kernels (kernels/rbm.cu), one block's tile,
// in a header so that tests/emulated_block_test.cpp can run them on the host.
#pragma once

#include "kernels/block_gemm.cuh"
#include "kernels/cluster.cuh"
#include "kernels/gibbs_rule.hpp"
#include "kernels/philox_device.cuh"
#include "kernels/rbm.hpp"

namespace ebmkit::kernels::rbm_body {

constexpr int tile_rows = rbm_product_tile, threads = block::threads;
static_assert(rbm_product_threads == block::threads, "the product kernels run block::gemm's threads");

enum class Epilogue { Probability, Sample, NegSoftplusSum, AisHidden };

// z = scale * (a W + bias) + base_scale * base; the Bernoulli probability is sigm(z).
struct GemmParams {
    const float* a;     // [rows, inner] row-major
    const float* w;     // TRANSPOSED ? [cols, inner] : [inner, cols], row-major
    const float* bias;  // [cols]
    float* out;         // [rows, cols], or [rows] for NegSoftplusSum (accumulated)
    std::int64_t rows;
    int cols, inner;
    std::uint64_t seed;
    std::uint32_t step;
    RngPurpose purpose;
    float scale = 1.0f;
    const float* base = nullptr;  // [cols] or null
    float base_scale = 0.0f;
    float previous_scale = 0.0f;  // AisHidden: beta_{k-1}
    double* log_weights = nullptr;  // AisHidden: [rows], accumulated
    // Parallel tempering: row r's scale is row_scale[r / rows_per_scale] (its replica's
    // beta) in place of scale.
    const float* row_scale = nullptr;
    std::int64_t rows_per_scale = 1;
    // Row r's draws are keyed chain first_chain + r (a data-parallel rank's offset).
    std::uint32_t first_chain = 0;
    // A device counter added to step when non-null: a graph replayed once per update
    // keys each replay's draws by a counter it advances (RbmTrainer, host/ops/graph.hpp).
    const std::uint32_t* step_offset = nullptr;
    // A per-row field [rows, cols] added to each unit's input (nullable): the evidence of
    // a noisy observation (denoising's flip likelihood on the visible units).
    const float* row_field = nullptr;
};


// Row `row`'s scale: its replica's beta under parallel tempering, else p.scale.
__device__ __forceinline__ float scale_of(const GemmParams& p, std::int64_t row) {
    return p.row_scale ? p.row_scale[row / p.rows_per_scale] : p.scale;
}

// Unit col's z from x = its product plus bias: scale * x + base_scale * base.
__device__ __forceinline__ float pre_activation(const GemmParams& p, float scale, float x, int col) {
    return scale * x + (p.base ? p.base_scale * p.base[col] : 0.0f);
}

// Row `row`'s units col .. col+3 from their products acc (bias not yet added).
template <Epilogue EPILOGUE>
__device__ void finish(const GemmParams& p, std::int64_t row, int col, const float* acc, float* out_row) {
    float u[4];
    if constexpr (EPILOGUE == Epilogue::Sample || EPILOGUE == Epilogue::AisHidden) {
        const std::uint32_t step = p.step_offset ? p.step + *p.step_offset : p.step;
        uniform4(philox_block(p.seed, p.purpose, p.first_chain + static_cast<std::uint32_t>(row), step,
                              static_cast<std::uint32_t>(col / 4)),
                 u);
    }
    float softplus_sum = 0.0f;
    const float scale = scale_of(p, row);
#pragma unroll
    for (int j = 0; j < 4; ++j) {
        if (col + j >= p.cols) break;
        // (A chain tile's rows past the last chain compute on zeros: no field to read there.)
        const float field = p.row_field && row < p.rows ? p.row_field[row * p.cols + col + j] : 0.0f;
        const float x = acc[j] + p.bias[col + j] + field;
        const float z = pre_activation(p, scale, x, col + j);
        if constexpr (EPILOGUE == Epilogue::Probability) out_row[col + j] = sigmoid(z);
        if constexpr (EPILOGUE == Epilogue::Sample || EPILOGUE == Epilogue::AisHidden) {
            out_row[col + j] = bernoulli_unit(u[j], sigmoid(z));
        }
        if constexpr (EPILOGUE == Epilogue::AisHidden) softplus_sum += softplus(z) - softplus(p.previous_scale * x);
    }
    if constexpr (EPILOGUE == Epilogue::AisHidden) atomicAdd(p.log_weights + row, static_cast<double>(softplus_sum));
}

// sum_j softplus(z_j) over row `row`'s units col .. col+3 from their products acc.
__device__ __forceinline__ float softplus_terms(const GemmParams& p, std::int64_t row, int col, const float* acc) {
    const float scale = scale_of(p, row);
    float sum = 0.0f;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
        if (col + j < p.cols) sum += softplus(pre_activation(p, scale, acc[j] + p.bias[col + j], col + j));
    }
    return sum;
}

// The product kernel's launch: a block per 64 x 64 output tile, but NegSoftplusSum's
// blocks each take whole rows (one block column; see rbm_gemm_tile).
inline LaunchShape product_shape(Epilogue epilogue, std::int64_t rows, std::int64_t cols) {
    return rbm_product_shape(rows, epilogue == Epilogue::NegSoftplusSum ? 1 : cols);
}

// One 64-row x 64-column output tile, block (blockIdx.x = column tile, blockIdx.y = row
// tile). NegSoftplusSum instead takes every column of its 64 rows (product_shape: one
// block column) and subtracts each row's sum of softplus terms from out in a fixed order:
// a thread keeps the same (row, four-column slot) in every column tile, adds its terms
// there in column order, and one thread per row adds the 16 slots in order. The free
// energy is then the same bits on every run (float atomics across blocks were not: the
// first GPU run found free energies differing in the last bit between two calls).
template <Precision P, bool TRANSPOSED, Epilogue EPILOGUE>
__device__ void rbm_gemm_tile(const GemmParams& p, unsigned char* staging) {
    const std::int64_t row0 = static_cast<std::int64_t>(blockIdx.y) * tile_rows;
    const int col0 = blockIdx.x * block::tile_cols;
    const int valid = static_cast<int>(p.rows - row0 < tile_rows ? p.rows - row0 : tile_rows);
    const float* a = p.a + row0 * p.inner;
    auto a_at = [&](int r, int k) { return r < valid ? a[static_cast<std::int64_t>(r) * p.inner + k] : 0.0f; };
    // TRANSPOSED reads W [cols, inner] along the inner dimension: the forward-layer layout.
    const int ld_w = TRANSPOSED ? p.inner : p.cols;
    if constexpr (EPILOGUE == Epilogue::NegSoftplusSum) {
        constexpr int slots = block::tile_cols / 4;
        __shared__ float row_slots[tile_rows * slots];
        for (int e = threadIdx.x; e < tile_rows * slots; e += threads) row_slots[e] = 0.0f;
        // block::gemm synchronises the block before its first epilogue and after its last.
        auto epilogue = [&](int r, int col, const float* acc) {
            if (r < valid) row_slots[r * slots + col % block::tile_cols / 4] += softplus_terms(p, row0 + r, col, acc);
        };
        block::gemm<tile_rows, P, TRANSPOSED>(staging, p.w, ld_w, 0, p.cols, p.inner, a_at, epilogue);
        for (int r = threadIdx.x; r < valid; r += threads) {
            float sum = 0.0f;
            for (int s = 0; s < slots; ++s) sum += row_slots[r * slots + s];
            p.out[row0 + r] -= sum;
        }
    } else {
        auto epilogue = [&](int r, int col, const float* acc) {
            if (r < valid) finish<EPILOGUE>(p, row0 + r, col, acc, p.out + (row0 + r) * p.cols);
        };
        const int col_end = col0 + block::tile_cols < p.cols ? col0 + block::tile_cols : p.cols;
        block::gemm<tile_rows, P, TRANSPOSED>(staging, p.w, ld_w, col0, col_end, p.inner, a_at, epilogue);
    }
}

// Shared memory of the on-chip chain kernel for ROWS chains: v and h, then the staging.
inline int gibbs_chain_bytes(const RbmParams& rbm, int rows) {
    const long long states = static_cast<long long>(rows) *
                             (block::round_up(static_cast<int>(rbm.visible), 4) + block::round_up(static_cast<int>(rbm.hidden), 4)) * 4;
    const long long bytes = (states + 31) / 32 * 32 + block::staging_bytes(rbm.precision, rows);
    return static_cast<int>(bytes < (1 << 30) ? bytes : (1 << 30));
}

// Chains per block of the on-chip chain for `rows` chains, 0 when 16 do not fit.
inline int gibbs_chain_rows(const RbmParams& rbm, std::int64_t rows, const DeviceLimits& limits) {
    return block::rows_per_block(rows, limits, [&](int r) { return gibbs_chain_bytes(rbm, r); });
}

// How the on-chip chain spreads `rows` chains over the device (kernels::tile_launch, a
// pure function, so the plan can be checked for any GPU): a cluster shares out the
// 64-unit column tiles of both half-sweeps, at most a block per column tile of the
// narrower layer.
inline TileLaunch gibbs_chain_plan(const RbmParams& rbm, std::int64_t rows, const DeviceLimits& limits,
                                   TilePlan wanted) {
    const int narrower = static_cast<int>(rbm.visible < rbm.hidden ? rbm.visible : rbm.hidden);
    return tile_launch(rows, gibbs_chain_rows(rbm, rows, limits), (narrower + block::tile_cols - 1) / block::tile_cols,
                       threads, limits, wanted, [&](int r) { return gibbs_chain_bytes(rbm, r); }, "rbm Gibbs chain");
}

// What both chain bodies start from: tile `tile`'s ROWS chains in shared memory (v,
// zeros past the last chain, then room for h), the staging after them, and the two
// half-sweeps' product parameters.
struct ChainTile {
    float* vs;
    float* hs;
    unsigned char* staging;
    std::int64_t row0;
    int valid;
    GemmParams hp, vp;
};

template <int ROWS>
__device__ ChainTile load_chain_tile(const RbmParams& rbm, const float* v, std::int64_t rows, std::int64_t tile,
                                     std::uint64_t seed, std::uint32_t first_chain, const std::uint32_t* step_offset,
                                     int ld_v, int ld_h, unsigned char* shared) {
    const int d = static_cast<int>(rbm.visible), m = static_cast<int>(rbm.hidden);
    float* vs = reinterpret_cast<float*>(shared);
    const std::int64_t row0 = tile * ROWS;
    ChainTile t{vs,
                vs + ROWS * ld_v,
                shared + block::round_up(ROWS * (ld_v + ld_h) * 4, 32),
                row0,
                static_cast<int>(rows - row0 < ROWS ? rows - row0 : ROWS),
                {nullptr, rbm.w, rbm.c, nullptr, rows, m, d, seed, 0, RngPurpose::GibbsHidden},
                {nullptr, rbm.w, rbm.b, nullptr, rows, d, m, seed, 0, RngPurpose::GibbsVisible}};
    t.hp.first_chain = t.vp.first_chain = first_chain;
    t.hp.step_offset = t.vp.step_offset = step_offset;
    for (int e = threadIdx.x; e < ROWS * d; e += threads) {
        vs[e / d * ld_v + e % d] = e / d < t.valid ? v[row0 * d + e] : 0.0f;
    }
    __syncthreads();
    return t;
}

// The visible half-sweep's epilogue: v ~ p(v | h) for columns col .. col + 3 of row r,
// except where clamp (nullable, [rows, D]) is nonzero: those units keep their value
// (inpainting: the observed pixels), and their draws are made and discarded, so the
// other units' draws are the unclamped chain's.
__device__ inline void sample_visible(ChainTile& t, int r, int col, const float* acc, int d, int ld_v,
                                      const float* clamp) {
    float* out = t.vs + r * ld_v;
    const float* fixed = clamp && r < t.valid ? clamp + (t.row0 + r) * d : nullptr;
    float keep[4];
    if (fixed) {
        for (int j = 0; j < 4; ++j) keep[j] = col + j < d ? out[col + j] : 0.0f;
    }
    finish<Epilogue::Sample>(t.vp, t.row0 + r, col, acc, out);
    if (fixed) {
        for (int j = 0; j < 4; ++j) {
            if (col + j < d && fixed[col + j] != 0.0f) out[col + j] = keep[j];
        }
    }
}

// k sweeps of block Gibbs sampling, the block's chains in shared memory throughout:
// h ~ p(h | v) keyed (seed, GibbsHidden, first_chain + row, step), v ~ p(v | h) keyed GibbsVisible,
// step = first_step + sweep (+ *step_offset where given).
// Block blockIdx.x's ROWS chains; `shared` is the dynamic shared memory of chain_bytes.
template <int ROWS, Precision P>
__device__ void rbm_gibbs_chain_tile(const RbmParams& rbm, float* v, float* h, std::int64_t rows, std::uint64_t seed,
                                     std::uint32_t first_chain, std::uint32_t first_step, std::uint32_t sweeps, int ld_v, int ld_h,
                                     unsigned char* shared, const std::uint32_t* step_offset = nullptr,
                                     const float* clamp = nullptr, const float* field = nullptr) {
    const int d = static_cast<int>(rbm.visible), m = static_cast<int>(rbm.hidden);
    ChainTile t = load_chain_tile<ROWS>(rbm, v, rows, blockIdx.x, seed, first_chain, step_offset, ld_v, ld_h, shared);
    t.vp.row_field = field;
    auto v_at = [&](int r, int k) { return t.vs[r * ld_v + k]; };
    auto h_at = [&](int r, int k) { return t.hs[r * ld_h + k]; };
    for (std::uint32_t s = 0; s < sweeps; ++s) {
        t.hp.step = t.vp.step = first_step + s;
        block::gemm<ROWS, P, false>(t.staging, rbm.w, m, 0, m, d, v_at, [&](int r, int col, const float* acc) {
            finish<Epilogue::Sample>(t.hp, t.row0 + r, col, acc, t.hs + r * ld_h);
        });
        block::gemm<ROWS, P, true>(t.staging, rbm.w, m, 0, d, m, h_at, [&](int r, int col, const float* acc) {
            sample_visible(t, r, col, acc, d, ld_v, clamp);
        });
    }
    for (int e = threadIdx.x; e < t.valid * d; e += threads) v[t.row0 * d + e] = t.vs[e / d * ld_v + e % d];
    for (int e = threadIdx.x; e < t.valid * m; e += threads) h[t.row0 * m + e] = t.hs[e / m * ld_h + e % m];
}

// The same sweeps with a tile's units split across a thread-block cluster
// (TileLaunch::cluster blocks, 16 chains a tile): the cluster of blocks b * C ..
// holds tile b; block j of it computes the 64-unit column tiles j, j + C, ... of each
// half-sweep into its own copy of the tile's h (then v), the cluster synchronises, and
// each block copies the others' column tiles from their shared memory. A block's reads
// of a peer's h end before the peer's next write to h: the peer writes h only after the
// barrier that follows the visible half-sweep, which the reader reaches after its reads.
// Same shared memory as the row-tile body (gibbs_chain_bytes).
template <Precision P>
__device__ void rbm_gibbs_cluster_tile(const RbmParams& rbm, float* v, float* h, std::int64_t rows, std::uint64_t seed,
                                       std::uint32_t first_chain, std::uint32_t first_step, std::uint32_t sweeps,
                                       int ld_v, int ld_h, unsigned char* shared,
                                       const std::uint32_t* step_offset = nullptr, const float* clamp = nullptr,
                                       const float* field = nullptr) {
    constexpr int ROWS = 16, tile = block::tile_cols;
    const int d = static_cast<int>(rbm.visible), m = static_cast<int>(rbm.hidden);
    const int rank = static_cast<int>(cluster::rank()), size = static_cast<int>(cluster::size());
    ChainTile t =
        load_chain_tile<ROWS>(rbm, v, rows, blockIdx.x / size, seed, first_chain, step_offset, ld_v, ld_h, shared);
    t.vp.row_field = field;
    auto v_at = [&](int r, int k) { return t.vs[r * ld_v + k]; };
    auto h_at = [&](int r, int k) { return t.hs[r * ld_h + k]; };
    // The units of column tiles owned by other blocks, from their copies.
    auto gather = [&](float* mine, int cols, int ld) {
        cluster::sync();
        for (int e = threadIdx.x; e < ROWS * cols; e += threads) {
            const int r = e / cols, col = e % cols, owner = col / tile % size;
            if (owner != rank) mine[r * ld + col] = cluster::peer(mine, static_cast<unsigned>(owner))[r * ld + col];
        }
        __syncthreads();
    };
    for (std::uint32_t s = 0; s < sweeps; ++s) {
        t.hp.step = t.vp.step = first_step + s;
        for (int c0 = rank * tile; c0 < m; c0 += size * tile) {
            block::gemm<ROWS, P, false>(t.staging, rbm.w, m, c0, c0 + tile < m ? c0 + tile : m, d, v_at,
                                        [&](int r, int col, const float* acc) {
                                            finish<Epilogue::Sample>(t.hp, t.row0 + r, col, acc, t.hs + r * ld_h);
                                        });
        }
        gather(t.hs, m, ld_h);
        for (int c0 = rank * tile; c0 < d; c0 += size * tile) {
            block::gemm<ROWS, P, true>(t.staging, rbm.w, m, c0, c0 + tile < d ? c0 + tile : d, m, h_at,
                                       [&](int r, int col, const float* acc) {
                                           sample_visible(t, r, col, acc, d, ld_v, clamp);
                                       });
        }
        gather(t.vs, d, ld_v);
    }
    // Each block writes its own column tiles; no block leaves while a peer may still read it.
    for (int e = threadIdx.x; e < t.valid * d; e += threads) {
        if (e % d / tile % size == rank) v[t.row0 * d + e] = t.vs[e / d * ld_v + e % d];
    }
    for (int e = threadIdx.x; e < t.valid * m; e += threads) {
        if (e % m / tile % size == rank) h[t.row0 * m + e] = t.hs[e / m * ld_h + e % m];
    }
    cluster::sync();
}

}  // namespace ebmkit::kernels::rbm_body

namespace ebmkit::kernels {

// Launches the product kernel over its grid of 64 x 64 tiles (kernels/rbm.cu): the one
// entry point of the product for kernels/rbm.cu and kernels/rbm_eval.cu.
void rbm_product(const rbm_body::GemmParams& p, bool transposed, rbm_body::Epilogue epilogue, Precision precision,
                 cudaStream_t stream);

}  // namespace ebmkit::kernels
