// Row-major float32 matrix products through cuBLAS at a chosen precision, for the
// products the fused kernels leave to a library (weight gradients, the unfused
// baseline). Plain C++: host/ includes this without CUDA headers.
#pragma once

#include "ebmkit/context.hpp"

namespace ebmkit::kernels {

// c [m, n] = alpha * op(a) op(b) + beta * c, every matrix row-major with its row
// stride; op(x) is x^T when its flag is set. Fp32 is cuBLAS's pedantic FP32 (no
// tensor cores), Tf32 and Bf16 round the inputs for the tensor cores and
// accumulate in FP32.
void gemm(cublasContext* cublas, Precision precision, bool transpose_a, bool transpose_b, int m, int n, int k,
          float alpha, const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc);

}  // namespace ebmkit::kernels
