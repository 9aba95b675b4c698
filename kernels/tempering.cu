// Parallel-tempering sweeps of Bernoulli RBMs. Where every replica of a chain fits in
// one block's 16-row tile (R <= 16, and about 3,400 units of v and h), one
// launch runs all the sweeps: each block keeps the replicas of its chains on chip, its
// half-sweeps kernels/rbm.cu's block product with a per-row beta, its swaps decided by
// the whole block. Otherwise every replica of every chain in each launch, three launches
// per sweep (hidden and visible half-sweeps, then the swaps of the sweep's parity). The
// two draw the same states; the math: kernels/tempering.cuh.
#include <cuda_runtime.h>

#include "kernels/cuda_check.hpp"
#include "kernels/tempering.cuh"
#include "kernels/tempering.hpp"

namespace ebmkit::kernels {

namespace {

using namespace tempering_body;

__global__ void __launch_bounds__(threads) tempering_swap_kernel(SwapParams p) { swap_pair(p); }

template <int ROWS, Precision P>
__global__ void __launch_bounds__(threads)
    tempering_chain_kernel(RbmParams rbm, const float* betas, int replicas, std::int64_t chains, float* v, float* h,
                           std::uint64_t seed, std::uint32_t first_sweep, std::uint32_t sweeps, unsigned long long* accepted,
                           int ld_v, int ld_h) {
    extern __shared__ __align__(128) unsigned char shared[];
    tempering_chain_tile<ROWS, P>(rbm, betas, replicas, chains, v, h, seed, first_sweep, sweeps, accepted, ld_v, ld_h,
                                  shared);
}

template <int ROWS, Precision P>
void launch_chain(const RbmParams& rbm, const float* betas, int replicas, std::int64_t chains, float* v, float* h,
                  std::uint64_t seed, std::uint32_t first_sweep, std::uint32_t sweeps, unsigned long long* accepted,
                  cudaStream_t stream) {
    const auto kernel = tempering_chain_kernel<ROWS, P>;
    const LaunchShape s = tempering_chain_shape(chains, ROWS, replicas, tempering_chain_bytes(rbm, ROWS));
    EBMKIT_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, s.shared_bytes));
    kernel<<<s.blocks, s.threads, s.shared_bytes, stream>>>(rbm, betas, replicas, chains, v, h, seed, first_sweep, sweeps,
                                                           accepted, block::round_up(static_cast<int>(rbm.visible), 4),
                                                           block::round_up(static_cast<int>(rbm.hidden), 4));
    EBMKIT_CUDA_CHECK(cudaGetLastError());
}

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

void TemperingSweeps::run(const Arguments& a, void*, CUstream_st* stream) {
    const RbmParams& rbm = a.rbm;
    const float* betas = a.betas;
    const int replicas = a.replicas;
    const std::int64_t chains = a.chains;
    float *v = a.v, *h = a.h;
    const std::uint64_t seed = a.seed;
    const std::uint32_t first_sweep = a.sweeps.first, sweeps = a.sweeps.count;
    unsigned long long* accepted = a.accepted;
    if (chains == 0 || sweeps == 0) return;
    if (tempering_chain_rows(rbm, replicas, device_limits()) > 0) {
        return block::with_precision(rbm.precision, [&](auto p) {
            launch_chain<tempering_chain_tile_rows, decltype(p)::value>(rbm, betas, replicas, chains, v, h, seed,
                                                                        first_sweep, sweeps, accepted, stream);
        });
    }
    // Every launch shape first: one that cannot launch throws before a state changes.
    rbm_product_shape(replicas * chains, rbm.hidden);
    rbm_product_shape(replicas * chains, rbm.visible);
    tempering_swap_shape(chains, tempering_pairs(replicas, 0));
    DeviceOps ops{rbm, stream};
    sweeps_sequence(rbm, betas, replicas, chains, v, h, seed, first_sweep, sweeps, accepted, ops);
}

}  // namespace ebmkit::kernels
