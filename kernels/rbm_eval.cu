// RBM evaluation on the device: free energy, AIS and RAISE log weights, the exact log-Z terms and
// the pseudo-log-likelihood. The math and the launch sequences are in
// kernels/rbm_eval.cuh, the launch shapes in kernels/rbm_eval.hpp; the products with
// their softplus, AIS and sampling epilogues are kernels/rbm.cu's.
#include <cuda_runtime.h>

#include "kernels/cuda_check.hpp"
#include "kernels/rbm_eval.cuh"
#include "kernels/rbm_eval.hpp"

namespace ebmkit::kernels {

namespace {

using namespace rbm_eval_body;

__global__ void __launch_bounds__(rbm_eval_threads)
    pseudo_log_likelihood_kernel(RbmParams rbm, const float* __restrict__ v, float* __restrict__ out) {
    extern __shared__ double pl_shared[];
    pseudo_log_likelihood_rows(rbm, v, out, pl_shared);
}

__global__ void __launch_bounds__(rbm_eval_threads)
    bias_dot_kernel(const float* __restrict__ v, const float* __restrict__ b, std::int64_t rows, int d, float* __restrict__ f) {
    negative_visible_bias_dot(v, b, rows, d, f);
}

__global__ void __launch_bounds__(rbm_eval_threads)
    ais_visible_term_kernel(const float* __restrict__ v, const float* __restrict__ b, const float* __restrict__ base,
                            std::int64_t rows, int d, double delta, double* __restrict__ log_w) {
    ais_visible_term(v, b, base, rows, d, delta, log_w);
}

__global__ void __launch_bounds__(rbm_eval_threads)
    base_rate_kernel(const float* __restrict__ base, std::int64_t rows, int d, std::uint64_t seed, float* __restrict__ v) {
    base_rate_samples(base, rows, d, seed, v);
}

__global__ void __launch_bounds__(rbm_eval_threads)
    configuration_bits_kernel(std::uint64_t first, std::int64_t count, int n, float* __restrict__ bits) {
    configuration_bits(first, count, n, bits);
}

__global__ void __launch_bounds__(rbm_eval_threads)
    repeat_rows_kernel(const float* __restrict__ rows_in, std::int64_t rows, int d, std::int64_t copies, float* __restrict__ out) {
    repeat_rows(rows_in, rows, d, copies, out);
}

__global__ void __launch_bounds__(rbm_eval_threads) negate_kernel(float* __restrict__ x, std::int64_t n) { negate(x, n); }

// Each step of a sequence as a kernel launch on one stream.
struct DeviceOps {
    const RbmParams& rbm;
    cudaStream_t stream;

    void zero(double* x, std::int64_t n) const { EBMKIT_CUDA_CHECK(cudaMemsetAsync(x, 0, sizeof(double) * n, stream)); }
    void bias_dot(const float* v, const float* b, std::int64_t rows, int d, float* f) const {
        const LaunchShape s = rbm_row_warp_shape(rows);
        bias_dot_kernel<<<s.blocks, s.threads, 0, stream>>>(v, b, rows, d, f);
        EBMKIT_CUDA_CHECK(cudaGetLastError());
    }
    void base_rate(const float* base, std::int64_t runs, int d, std::uint64_t seed, float* v) const {
        const LaunchShape s = rbm_base_rate_shape(runs, d);
        base_rate_kernel<<<s.blocks, s.threads, 0, stream>>>(base, runs, d, seed, v);
        EBMKIT_CUDA_CHECK(cudaGetLastError());
    }
    void visible_term(const float* v, const float* b, const float* base, std::int64_t runs, int d, double delta,
                      double* log_w) const {
        const LaunchShape s = rbm_row_warp_shape(runs);
        ais_visible_term_kernel<<<s.blocks, s.threads, 0, stream>>>(v, b, base, runs, d, delta, log_w);
        EBMKIT_CUDA_CHECK(cudaGetLastError());
    }
    void bits(std::uint64_t first, std::int64_t count, int n, float* out) const {
        const LaunchShape s = rbm_elementwise_shape(count * n);
        configuration_bits_kernel<<<s.blocks, s.threads, 0, stream>>>(first, count, n, out);
        EBMKIT_CUDA_CHECK(cudaGetLastError());
    }
    void negate(float* x, std::int64_t n) const {
        const LaunchShape s = rbm_elementwise_shape(n);
        negate_kernel<<<s.blocks, s.threads, 0, stream>>>(x, n);
        EBMKIT_CUDA_CHECK(cudaGetLastError());
    }
    void repeat(const float* rows_in, std::int64_t rows, int d, std::int64_t copies, float* out) const {
        const LaunchShape s = rbm_elementwise_shape(rows * copies * d);
        repeat_rows_kernel<<<s.blocks, s.threads, 0, stream>>>(rows_in, rows, d, copies, out);
        EBMKIT_CUDA_CHECK(cudaGetLastError());
    }
    void product(const rbm_body::GemmParams& p, bool transposed, rbm_body::Epilogue epilogue) const {
        rbm_product(p, transposed, epilogue, rbm.precision, stream);
    }
};

}  // namespace

void rbm_free_energy(const RbmParams& rbm, const float* v, std::int64_t rows, float* f, CUstream_st* stream) {
    if (rows == 0) return;
    DeviceOps ops{rbm, stream};
    free_energy_sequence(rbm, v, rows, f, ops);
}

void RbmAis::run(const Arguments& a, void* workspace, CUstream_st* stream) {
    if (a.runs == 0) return;
    DeviceOps ops{a.rbm, stream};
    auto* v = static_cast<float*>(workspace);
    ais_sequence(a.rbm, a.base_b, a.runs, a.betas, a.count, a.seed, v, v + a.runs * a.rbm.visible, a.log_w, ops);
}

void RbmRaise::run(const Arguments& a, void* workspace, CUstream_st* stream) {
    const std::int64_t chains = a.rows * a.runs;
    if (chains == 0) return;
    DeviceOps ops{a.rbm, stream};
    auto* v = static_cast<float*>(workspace);
    raise_sequence(a.rbm, a.base_b, a.data, a.rows, a.runs, a.betas, a.count, a.seed, v, v + chains * a.rbm.visible,
                   a.log_w, ops);
}

void rbm_log_partition_terms(const RbmParams& rbm, std::uint64_t first, std::int64_t count, float* bits,
                             float* terms, CUstream_st* stream) {
    if (count == 0) return;
    DeviceOps ops{rbm, stream};
    log_partition_terms_sequence(rbm, first, count, bits, terms, ops);
}

bool rbm_pseudo_log_likelihood_fits(const RbmParams& rbm) {
    return rbm_pseudo_log_likelihood_fits(rbm.hidden, device_limits());
}

void rbm_pseudo_log_likelihood(const RbmParams& rbm, const float* v, std::int64_t rows, float* out,
                               CUstream_st* stream) {
    if (rows == 0) return;
    const LaunchShape s = rbm_pseudo_log_likelihood_shape(rows, rbm.hidden);
    if (s.shared_bytes > default_dynamic_shared_bytes) {
        EBMKIT_CUDA_CHECK(cudaFuncSetAttribute(pseudo_log_likelihood_kernel,
                                               cudaFuncAttributeMaxDynamicSharedMemorySize, s.shared_bytes));
    }
    pseudo_log_likelihood_kernel<<<s.blocks, s.threads, s.shared_bytes, stream>>>(rbm, v, out);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace ebmkit::kernels
