// Bernoulli RBM conditionals, Gibbs half-sweeps and free energy as one tiled matrix
// product with the nonlinearity, the Philox draw and the Bernoulli decision fused
// into its epilogue:
//   hidden:  z = c + v W      (v [N, D], W [D, M])        p(h = 1 | v) = sigm(z)
//   visible: z = b + h W^T    (h [N, M], W^T read from W)  p(v = 1 | h) = sigm(z)
//   sample:  1 when u <= sigm(z), u = Philox uniform (seed, purpose, chain = row, step, unit)
//   free energy: f = -b^T v - sum_j softplus(c_j + v^T W_:j)
//   AIS (Salakhutdinov & Murray 2008), intermediate distribution beta:
//     hidden  p(h = 1 | v) = sigm(beta x),  x = c + v W, and the log-weight increment
//             sum_j softplus(beta_k x_j) - softplus(beta_{k-1} x_j) (+ the visible term below)
//     visible p(v = 1 | h) = sigm((1 - beta) b_A + beta (b + h W^T))
// (the evaluation kernels that use these products: kernels/rbm_eval.cu)
//
// Launch strategy: each product is a kernels::block::gemm of a 64-row x 64-column
// output tile per block (FP32 SIMT, or TF32 / BF16 tensor cores at the context's
// precision: the 0/1 states are exact in any of them, only the weights are rounded),
// the sigmoid, the Philox draw (one 128-bit block per four units of a row) and the
// Bernoulli decision in its epilogue. k Gibbs sweeps of up to a few thousand units
// run in one launch that keeps each block's chains, v and h, in shared memory
// throughout (rbm_gibbs_chain). The weight-gradient outer products of CD go to cuBLAS.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <string>
#include <tuple>

#include "kernels/cuda_check.hpp"
#include "kernels/gemm.hpp"
#include "kernels/launch.cuh"
#include "kernels/rbm.cuh"
#include "kernels/rbm.hpp"

namespace ebmkit::kernels {

namespace {

using namespace rbm_body;

template <Precision P, bool TRANSPOSED, Epilogue EPILOGUE>
__global__ void __launch_bounds__(threads) rbm_gemm(GemmParams p) {
    __shared__ __align__(128) unsigned char staging[block::Staging<tile_rows, P>::bytes];
    rbm_gemm_tile<P, TRANSPOSED, EPILOGUE>(p, staging);
}

template <int ROWS, Precision P>
__global__ void __launch_bounds__(threads) rbm_gibbs_chain(RbmParams rbm, float* v, float* h, std::int64_t rows,
                                                           std::uint64_t seed, std::uint32_t first_chain,
                                                           std::uint32_t first_step, std::uint32_t sweeps, int ld_v, int ld_h,
                                                           const std::uint32_t* step_offset, const float* clamp,
                                                           const float* field) {
    extern __shared__ __align__(128) unsigned char shared[];
    rbm_gibbs_chain_tile<ROWS, P>(rbm, v, h, rows, seed, first_chain, first_step, sweeps, ld_v, ld_h, shared, step_offset,
                                  clamp, field);
}

template <Precision P>
__global__ void __launch_bounds__(threads) rbm_gibbs_cluster(RbmParams rbm, float* v, float* h, std::int64_t rows,
                                                             std::uint64_t seed, std::uint32_t first_chain,
                                                             std::uint32_t first_step, std::uint32_t sweeps, int ld_v,
                                                             int ld_h, const std::uint32_t* step_offset,
                                                             const float* clamp, const float* field) {
    extern __shared__ __align__(128) unsigned char shared[];
    rbm_gibbs_cluster_tile<P>(rbm, v, h, rows, seed, first_chain, first_step, sweeps, ld_v, ld_h, shared, step_offset,
                              clamp, field);
}

template <Precision P, bool TRANSPOSED, Epilogue EPILOGUE>
void launch_at(const GemmParams& p, cudaStream_t stream) {
    const LaunchShape s = product_shape(EPILOGUE, p.rows, p.cols);
    rbm_gemm<P, TRANSPOSED, EPILOGUE><<<dim3(s.blocks, s.blocks_y), s.threads, 0, stream>>>(p);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
}

template <bool TRANSPOSED>
void launch_epilogue(const GemmParams& p, Epilogue epilogue, Precision precision, cudaStream_t stream) {
    block::with_precision(precision, [&](auto at) {
        constexpr Precision P = decltype(at)::value;
        switch (epilogue) {
            case Epilogue::Probability: return launch_at<P, TRANSPOSED, Epilogue::Probability>(p, stream);
            case Epilogue::Sample: return launch_at<P, TRANSPOSED, Epilogue::Sample>(p, stream);
            case Epilogue::NegSoftplusSum: return launch_at<P, TRANSPOSED, Epilogue::NegSoftplusSum>(p, stream);
            case Epilogue::AisHidden:
                if constexpr (!TRANSPOSED) return launch_at<P, false, Epilogue::AisHidden>(p, stream);
                break;
        }
        throw Error("rbm kernels: no product kernel for epilogue " + std::to_string(static_cast<int>(epilogue)) +
                    (TRANSPOSED ? " (transposed)" : ""));
    });
}

}  // namespace

void rbm_product(const GemmParams& p, bool transposed, Epilogue epilogue, Precision precision, cudaStream_t stream) {
    if (transposed) launch_epilogue<true>(p, epilogue, precision, stream);
    else launch_epilogue<false>(p, epilogue, precision, stream);
}

Status RbmHalfSweep::can_implement(const Arguments& a) {
    constexpr std::int64_t max_rows = std::int64_t{65535} * rbm_product_tile;
    if (a.rows > max_rows) return {"more rows than one launch covers (65,535 x 64)"};
    return {};
}

void RbmHalfSweep::run(const Arguments& a, void*, CUstream_st* stream) {
    const RbmParams& rbm = a.rbm;
    const int hidden = static_cast<int>(rbm.hidden), visible = static_cast<int>(rbm.visible);
    GemmParams p{a.in,  rbm.w,  a.to_visible ? rbm.b : rbm.c, a.out, a.rows, a.to_visible ? visible : hidden,
                 a.to_visible ? hidden : visible, a.seed, a.step,
                 a.to_visible ? RngPurpose::GibbsVisible : RngPurpose::GibbsHidden};
    p.first_chain = a.first_chain;
    p.step_offset = a.step_offset;
    p.row_field = a.field;
    rbm_product(p, a.to_visible, a.units == RbmUnits::Samples ? Epilogue::Sample : Epilogue::Probability, rbm.precision,
                stream);
}

Status GibbsChain::can_implement(const Arguments& a) {
    if (gibbs_chain_rows(a.rbm, a.rows, device_limits()) == 0) {
        return {"v and h of 16 chains exceed a block's shared memory"};
    }
    return {};
}

void GibbsChain::run(const Arguments& a, void*, CUstream_st* stream) {
    const RbmParams& rbm = a.rbm;
    float *v = a.v, *h = a.h;
    const std::int64_t rows = a.rows;
    const std::uint64_t seed = a.seed;
    const std::uint32_t first_chain = a.first_chain, first_step = a.steps.first, sweeps = a.steps.count;
    const std::uint32_t* step_offset = a.step_offset;
    if (rows == 0 || sweeps == 0) return;
    const TileLaunch chosen = gibbs_chain_plan(rbm, rows, device_limits(), a.plan);
    if (chosen.rows_per_block == 0) {
        throw Error(std::string("rbm Gibbs chain: ") + can_implement(a).why);
    }
    const int ld_v = block::round_up(static_cast<int>(rbm.visible), 4), ld_h = block::round_up(static_cast<int>(rbm.hidden), 4);
    block::with_precision(rbm.precision, [&](auto p) {
        constexpr Precision P = decltype(p)::value;
        if (chosen.cluster > 1) {
            return launch_planned(rbm_gibbs_cluster<P>, chosen.shape, stream, rbm, v, h, rows, seed, first_chain,
                                  first_step, sweeps, ld_v, ld_h, step_offset, a.clamp, a.field);
        }
        block::with_rows(chosen.rows_per_block, [&](auto tile) {
            launch_planned(rbm_gibbs_chain<decltype(tile)::value, P>, chosen.shape, stream, rbm, v, h, rows, seed,
                           first_chain, first_step, sweeps, ld_v, ld_h, step_offset, a.clamp, a.field);
        });
    });
}

void outer_product_sum(cublasContext* cublas, const float* v, const float* ph, std::int64_t rows, std::int64_t d,
                       std::int64_t m, float scale, bool accumulate, Precision precision, float* dw) {
    const auto [n, di, mi] = std::tuple{static_cast<int>(rows), static_cast<int>(d), static_cast<int>(m)};
    gemm(cublas, precision, true, false, di, mi, n, scale, v, di, ph, mi, accumulate ? 1.0f : 0.0f, dw, mi);
}

}  // namespace ebmkit::kernels
