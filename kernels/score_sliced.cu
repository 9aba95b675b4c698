// Sliced score matching's loss and parameter gradient (kernels/score.hpp's SlicedScore):
// kernels/score_sliced.cuh's sequence with cuBLAS's products and that header's bodies,
// each launched as a grid-stride kernel on the caller's stream.
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

ss::Layout layout_of(const SlicedScore::Arguments& a) {
    return ss::layout(a.mlp, a.rows,
                      std::max(layer_param_grad_partial_floats(a.mlp, a.rows), column_sum_partial_floats(a.rows, 1)));
}

}  // namespace

std::size_t SlicedScore::workspace_bytes(const Arguments& a) { return sizeof(float) * layout_of(a).total; }

void SlicedScore::run(const Arguments& a, void* workspace, CUstream_st* stream) {
    CudaDevice device{a.cublas, a.mlp.precision, stream};
    ss::run_sliced(a, static_cast<float*>(workspace), layout_of(a), device);
}

}  // namespace ebmkit::kernels
