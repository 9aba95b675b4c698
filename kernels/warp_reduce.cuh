// Warp-wide reductions through cub::WarpReduce (kernels/logsumexp.cuh, langevin.cuh,
// rbm_eval.cuh, the MLP head through online_lse.cuh): the total of a warp's values,
// handed to every lane.
#pragma once

#include <cuda_runtime.h>

#ifndef EBMKIT_BLOCK_EMULATION
#include <cub/warp/warp_reduce.cuh>
#endif

namespace ebmkit::kernels {

// The reduction by op over each group of LANES consecutive lanes (a power of two up to
// 32), broadcast to the group; every lane of the warp takes part. Blocks of up to 1024
// threads.
template <int LANES, class T, class Op>
__device__ T warp_all_reduce(T value, Op op) {
    if constexpr (LANES == 1) {
        return value;
    } else {
        using WarpReduce = cub::WarpReduce<T, LANES>;
        __shared__ typename WarpReduce::TempStorage storage[1024 / LANES];  // one per logical warp
        const T total = WarpReduce(storage[threadIdx.x / LANES]).Reduce(value, op);  // valid in the group's first lane
        return cub::ShuffleIndex<LANES>(total, 0, 0xffffffffu);  // from the group's first lane
    }
}

template <class T>
struct Plus {
    __device__ T operator()(const T& a, const T& b) const { return a + b; }
};

// The sum of a whole warp's values, on every lane.
template <class T>
__device__ T warp_sum(T value) {
    return warp_all_reduce<32>(value, Plus<T>{});
}

}  // namespace ebmkit::kernels
