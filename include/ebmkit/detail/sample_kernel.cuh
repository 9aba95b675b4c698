// The body of the CUDA samplers for any energy (ebmkit/detail/sample_cuda.cuh): a thread
// per chain, grid-stride, each chain's state x [D] and its scratch in global memory, its
// steps by detail/sample_chain.hpp. In a header of its own so that the block emulator
// (tests/sample_emulated_test.cpp) runs it on the host.
#pragma once

#include <cstdint>

#include "ebmkit/detail/sample_chain.hpp"
#include "ebmkit/steps.hpp"

namespace ebmkit::detail {

// Chains r = thread, thread + threads, ... of x [rows, D]: scratch [rows, chain_scratch_floats(energy)];
// states [steps, rows, D] and energies [steps, rows] (both nullable) receive the trace;
// accepted (a device counter) is increased by the accepted proposals.
template <class E>
__device__ void sample_chains(const E& energy, float* x, float* scratch, std::int64_t rows, const ChainRule& rule,
                              std::uint32_t first_chain, Steps steps, float* states, float* energies,
                              unsigned long long* accepted) {
    const int d = energy.dim();
    const std::int64_t per_chain = chain_scratch_floats(energy);
    const std::int64_t threads = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
    unsigned long long count = 0;
    for (std::int64_t r = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; r < rows; r += threads) {
        float* chain = x + r * d;
        float* own = scratch + r * per_chain;
        float e = evaluate_energy(energy, chain, own, own + 4 * d);
        for (std::uint32_t s = 0; s < steps.count; ++s) {
            count += chain_step(energy, chain, e, own, rule, first_chain + static_cast<std::uint32_t>(r), steps.first + s);
            if (states) {
                for (int i = 0; i < d; ++i) states[(static_cast<std::int64_t>(s) * rows + r) * d + i] = chain[i];
                energies[static_cast<std::int64_t>(s) * rows + r] = e;
            }
        }
    }
    if (count) atomicAdd(accepted, count);
}

}  // namespace ebmkit::detail
