// Sliced score matching's loss and parameter gradient (kernels/score.hpp's SlicedScore):
// kernels/score_sliced.cuh's sequence with cuBLAS's products, that header's bodies each
// launched as a grid-stride kernel, and the fused pass (kernels/score_sliced_fused.cuh)
// a block of 256 threads per 16, 32 or 64 rows, all on the caller's stream.
#include <cuda_runtime.h>

#include <algorithm>

#include "kernels/columns.hpp"
#include "kernels/gemm.hpp"
#include "kernels/launch.cuh"
#include "kernels/score.hpp"
#include "kernels/score_sliced.cuh"

namespace ebmkit::kernels {

namespace {

namespace ss = score_sliced;

template <class Op>
__global__ void apply(Op op) {
    op();
}

// (256, 1): a block's jets fill most of a multiprocessor's shared memory (a 784-256-256-1
// model's 16 rows take about 140 KB), so one block a multiprocessor is what runs anyway;
// without the minimum ptxas held the kernel to 128 registers and spilled.
template <int ROWS, Precision P>
__global__ void __launch_bounds__(block::threads, 1) sliced_pass(ss::Tile t, ss::PassIo io) {
    extern __shared__ __align__(128) unsigned char shared[];
    ss::pass_tile<ROWS, P>(t, io, reinterpret_cast<float*>(shared));
}

struct CudaDevice {
    cublasContext* cublas;
    Precision precision;
    CUstream_st* stream;
    DeviceLimits device = device_limits();

    const DeviceLimits& limits() const { return device; }
    template <class Op>
    void launch(const LaunchShape& shape, const Op& op) {
        launch_planned(apply<Op>, shape, stream, op);
    }
    void fused_pass(const ss::Tile& t, const ss::PassIo& io, int tile_rows) {
        const LaunchShape shape = row_tiles(io.rows, tile_rows, block::threads, t.bytes, "sliced score matching");
        block::with_precision(precision, [&](auto p) {
            ss::with_tile_rows(tile_rows, [&](auto r) {
                launch_planned(sliced_pass<decltype(r)::value, decltype(p)::value>, shape, stream, t, io);
            });
        });
    }
    void gemm(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int lda, const float* b, int ldb,
              float beta, float* c, int ldc) {
        kernels::gemm(cublas, precision, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
    void param_grad(const float* delta, const float* a, std::int64_t rows, std::int64_t in, std::int64_t out,
                    bool accumulate, float* dw, float* db, float* partials) {
        LayerParamGrad::run({cublas, precision, delta, a, rows, in, out, accumulate, dw, db}, partials, stream);
    }
    void column_sums(const float* x, std::int64_t rows, std::int64_t cols, float scale, bool accumulate, float* out,
                     float* partials) {
        scaled_column_sums(x, rows, cols, scale, accumulate, out, partials, stream);
    }
};

ss::Layout layout_of(const SlicedScore::Arguments& a, int tile_rows) {
    return ss::layout(a.mlp, a.rows, tile_rows > 0,
                      std::max(layer_param_grad_partial_floats(a.mlp, a.rows), column_sum_partial_floats(a.rows, 1)));
}

}  // namespace

bool SlicedScore::fuses(const Arguments& a) { return ss::fused_rows(a, device_limits()) > 0; }

std::size_t SlicedScore::workspace_bytes(const Arguments& a) {
    return sizeof(float) * layout_of(a, ss::fused_rows(a, device_limits())).total;
}

void SlicedScore::run(const Arguments& a, void* workspace, CUstream_st* stream) {
    CudaDevice device{a.cublas, a.mlp.precision, stream};
    const int tile_rows = ss::fused_rows(a, device.limits());
    ss::run_sliced(a, tile_rows, static_cast<float*>(workspace), layout_of(a, tile_rows), device);
}

}  // namespace ebmkit::kernels
