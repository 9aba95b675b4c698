// Device-side draws for kernels: cuRAND's curand_Philox4x32_10 on ebmkit's
// counter and key (include/ebmkit/philox.hpp), converted exactly as cuRAND
// converts. One call yields the four values of one 128-bit block.
#pragma once

#include <cuda_runtime.h>
// Philox alone: <curand_kernel.h> would add the XORWOW and MRG32k3a tables (about
// 0.2 MB of global memory and 0.4 MB of code) to every translation unit.
#include <curand_philox4x32_x.h>

#include "ebmkit/philox.hpp"

namespace ebmkit::kernels {

__device__ __forceinline__ Philox4 philox_block(std::uint64_t seed, RngPurpose purpose, std::uint32_t chain,
                                                std::uint32_t step, std::uint32_t block) {
    const PhiloxCounter c = philox_counter(purpose, chain, step, block);
    const PhiloxKey k = philox_key(seed);
    const uint4 bits = curand_Philox4x32_10(make_uint4(c.c[0], c.c[1], c.c[2], c.c[3]), make_uint2(k.k[0], k.k[1]));
    return {{bits.x, bits.y, bits.z, bits.w}};
}

}  // namespace ebmkit::kernels
