// The CUDA backend of the samplers for any energy (ebmkit/sample.hpp), compiled in the
// caller's translation unit by nvcc: one launch of a thread per chain for all steps on
// the context's stream (128 threads a block), then one copy back of the accepted count
// (and of the trace, when asked), the call's one host wait.
#pragma once

#include <cuda_runtime.h>

#include <cstring>
#include <string>
#include <vector>

#include "ebmkit/detail/sample_kernel.cuh"
#include "ebmkit/error.hpp"

namespace ebmkit::detail {

// (128, 1): without the minimum of one block, ptxas held the Gaussian's and the double
// well's chains to 64 registers and spilled 88 bytes (tests/kernel_resources_test.py);
// a chain's state wants 72 to 92.
template <class E>
__global__ void __launch_bounds__(128, 1) sample_chains_kernel(E energy, float* x, float* scratch, std::int64_t rows,
                                                            ChainRule rule, std::uint32_t first_chain, Steps steps,
                                                            float* states, float* energies,
                                                            unsigned long long* accepted) {
    sample_chains(energy, x, scratch, rows, rule, first_chain, steps, states, energies, accepted);
}

template <class E>
SampleStats sample_cuda(Context& ctx, const E& energy, TensorView x, const SampleParams& p, Steps steps, bool trace) {
    const int d = energy.dim();
    const std::int64_t rows = x.dim(0);
    if (rows == 0 || steps.count == 0) return sample_stats(rows, d, steps.count, 0, {}, {});
    Tensor mass;
    if (!p.mass.empty()) {
        mass = Tensor({d}, DType::F32, ctx);
        mass.copy_from(Tensor::from(p.mass, {d}));
    }
    const ChainRule rule = chain_rule(ctx, p, mass.empty() ? nullptr : mass.data<float>());
    Tensor scratch({rows * chain_scratch_floats(energy)}, DType::F32, ctx);
    Tensor accepted = Tensor::zeros({2}, DType::I32, ctx);  // one 64-bit count
    Tensor states, energies;
    if (trace) {
        states = Tensor({steps.count * rows * d}, DType::F32, ctx);
        energies = Tensor({steps.count * rows}, DType::F32, ctx);
    }
    constexpr int threads = 128;
    const auto blocks = static_cast<unsigned>((rows + threads - 1) / threads);
    sample_chains_kernel<<<blocks, threads, 0, ctx.stream()>>>(
        energy, x.data<float>(), scratch.data<float>(), rows, rule, p.first_chain, steps,
        trace ? states.data<float>() : nullptr, trace ? energies.data<float>() : nullptr,
        reinterpret_cast<unsigned long long*>(accepted.data<std::int32_t>()));
    if (const cudaError_t e = cudaGetLastError(); e != cudaSuccess) {
        throw Error(std::string("sample: the chains' launch failed: ") + cudaGetErrorString(e));
    }
    const std::vector<std::int32_t> words = accepted.to_vector<std::int32_t>();
    unsigned long long count = 0;
    static_assert(sizeof count == 2 * sizeof(std::int32_t));
    std::memcpy(&count, words.data(), sizeof count);
    return sample_stats(rows, d, steps.count, static_cast<std::int64_t>(count),
                        trace ? states.to_vector<float>() : std::vector<float>(),
                        trace ? energies.to_vector<float>() : std::vector<float>());
}

}  // namespace ebmkit::detail
