// Row-major products on column-major cuBLAS: c = op(a) op(b) is c^T = op(b)^T op(a)^T,
// and a row-major matrix read as column-major is its transpose, so the operands swap
// places and keep their flags.
#include <cublas_v2.h>

#include "kernels/cuda_check.hpp"
#include "kernels/gemm.hpp"

namespace ebmkit::kernels {

namespace {

cublasComputeType_t compute_type(Precision precision) {
    switch (precision) {
        case Precision::Fp32: return CUBLAS_COMPUTE_32F_PEDANTIC;
        case Precision::Tf32: return CUBLAS_COMPUTE_32F_FAST_TF32;
        case Precision::Bf16: return CUBLAS_COMPUTE_32F_FAST_16BF;
    }
    return CUBLAS_COMPUTE_32F_PEDANTIC;
}

}  // namespace

void gemm(cublasContext* cublas, Precision precision, bool transpose_a, bool transpose_b, int m, int n, int k,
          float alpha, const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc) {
    EBMKIT_CUBLAS_CHECK(cublasGemmEx(cublas, transpose_b ? CUBLAS_OP_T : CUBLAS_OP_N,
                                     transpose_a ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k, &alpha, b, CUDA_R_32F, ldb, a,
                                     CUDA_R_32F, lda, &beta, c, CUDA_R_32F, ldc, compute_type(precision),
                                     CUBLAS_GEMM_DEFAULT));
}

}  // namespace ebmkit::kernels
