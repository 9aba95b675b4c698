// Parallel-tempering sweeps of Bernoulli RBMs: every replica of every chain in each
// launch, three launches per sweep (hidden and visible half-sweeps as kernels/rbm.cu's
// products with a per-row beta, then the swaps of the sweep's parity). The math and
// the launch sequence: kernels/tempering.cuh.
#include <cuda_runtime.h>

#include "kernels/cuda_check.hpp"
#include "kernels/tempering.cuh"
#include "kernels/tempering.hpp"

namespace ebmkit::kernels {

namespace {

using namespace tempering_body;

__global__ void __launch_bounds__(threads) tempering_swap_kernel(SwapParams p) { swap_pair(p); }

struct DeviceOps {
    const RbmParams& rbm;
    cudaStream_t stream;

    void product(const rbm_body::GemmParams& p, bool transposed) const {
        rbm_product(p, transposed, rbm_body::Epilogue::Sample, rbm.precision, stream);
    }
    void swaps(const SwapParams& p, int pairs) const {
        const LaunchShape s = tempering_swap_shape(p.chains, pairs);
        tempering_swap_kernel<<<dim3(s.blocks, s.blocks_y), s.threads, 0, stream>>>(p);
        EBMKIT_CUDA_CHECK(cudaGetLastError());
    }
};

}  // namespace

void rbm_tempering_sweeps(const RbmParams& rbm, const float* betas, int replicas, std::int64_t chains, float* v,
                          float* h, std::uint64_t seed, std::uint32_t first_sweep, int sweeps,
                          unsigned long long* accepted, CUstream_st* stream) {
    if (chains == 0 || sweeps == 0) return;
    // Every launch shape first: one that cannot launch throws before a state changes.
    rbm_product_shape(replicas * chains, rbm.hidden);
    rbm_product_shape(replicas * chains, rbm.visible);
    tempering_swap_shape(chains, tempering_pairs(replicas, 0));
    DeviceOps ops{rbm, stream};
    sweeps_sequence(rbm, betas, replicas, chains, v, h, seed, first_sweep, sweeps, accepted, ops);
}

}  // namespace ebmkit::kernels
