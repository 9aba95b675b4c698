// The CUDA backend of the samplers for any energy (ebmkit/sample.hpp), compiled in the
// caller's translation unit by nvcc: one launch of a thread per chain for all steps on
// the context's stream (128 threads a block; a block per tile of chains for an energy
// with a block-cooperative form, detail/sample_block.cuh, where ULA is LangevinSampler's
// fused chain), then one copy back of the accepted count (and of the trace, when asked),
// the call's one host wait.
#pragma once

#include <cuda_runtime.h>

#include <cstring>
#include <string>
#include <vector>

#include "ebmkit/detail/sample_block.cuh"
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

// A block per tile of E::block_rows chains, for an energy with a block-cooperative form.
// (256, 1): at the default ptxas held MlpEnergyView's tiles (the ULA and the Metropolis
// bodies in one kernel) to 128 registers and spilled 628 bytes.
template <class E>
__global__ void __launch_bounds__(block_threads, 1) sample_block_chains_kernel(E energy, float* x, float* scratch,
                                                                           std::int64_t rows, ChainRule rule,
                                                                           std::uint32_t first_chain, Steps steps,
                                                                           float* states, float* energies,
                                                                           unsigned long long* accepted) {
    extern __shared__ __align__(128) unsigned char shared[];
    sample_block_chains(energy, x, scratch, rows, rule, first_chain, steps, states, energies, accepted, shared);
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
    // A block per tile where the energy has a block-cooperative form that fits, else a
    // thread per chain.
    constexpr bool row_form = energy_has_plain_call<E>::value || energy_has_scratch<E>::value;
    std::size_t bytes = block_form_unavailable;
    if constexpr (energy_has_block_form<E>::value) bytes = energy.block_shared_bytes();
    const bool by_block = bytes != block_form_unavailable;
    std::int64_t scratch_floats = 0;
    if (by_block) {
        // The unadjusted chain keeps its states in the energy's shared memory (ula_block_chains).
        scratch_floats = p.kind == SamplerKind::Ula ? 0 : BlockScratch::floats(rows, d);
    } else if constexpr (row_form) {
        scratch_floats = rows * chain_scratch_floats(energy);
    } else {
        throw Error("sample: the energy's block form does not fit a block's shared memory, and it has no per-row form");
    }
    Tensor scratch({scratch_floats}, DType::F32, ctx);
    Tensor accepted = Tensor::zeros({2}, DType::I32, ctx);  // one 64-bit count
    Tensor states, energies;
    if (trace) {
        states = Tensor({steps.count * rows * d}, DType::F32, ctx);
        energies = Tensor({steps.count * rows}, DType::F32, ctx);
    }
    float* trace_states = trace ? states.data<float>() : nullptr;
    float* trace_energies = trace ? energies.data<float>() : nullptr;
    auto* count_on_device = reinterpret_cast<unsigned long long*>(accepted.data<std::int32_t>());
    if constexpr (energy_has_block_form<E>::value) {
        if (by_block) {
            const auto blocks = static_cast<unsigned>((rows + E::block_rows - 1) / E::block_rows);
            if (const cudaError_t e = cudaFuncSetAttribute(sample_block_chains_kernel<E>,
                                                           cudaFuncAttributeMaxDynamicSharedMemorySize,
                                                           static_cast<int>(bytes));
                e != cudaSuccess) {
                throw Error(std::string("sample: the energy's ") + std::to_string(bytes) +
                            " bytes of shared memory a block: " + cudaGetErrorString(e));
            }
            sample_block_chains_kernel<<<blocks, block_threads, bytes, ctx.stream()>>>(
                energy, x.data<float>(), scratch.data<float>(), rows, rule, p.first_chain, steps, trace_states,
                trace_energies, count_on_device);
        }
    }
    if constexpr (row_form) {
        if (!by_block) {
            constexpr int threads = 128;
            const auto blocks = static_cast<unsigned>((rows + threads - 1) / threads);
            sample_chains_kernel<<<blocks, threads, 0, ctx.stream()>>>(energy, x.data<float>(), scratch.data<float>(),
                                                                       rows, rule, p.first_chain, steps, trace_states,
                                                                       trace_energies, count_on_device);
        }
    }
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
