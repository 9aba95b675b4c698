// The thread-block cluster operations a kernel body uses (Hopper, sm_90): the block's
// rank in its cluster, the cluster's size, a barrier of all its blocks, and a view of a
// peer block's shared memory (distributed shared memory). On the device through
// cooperative_groups; in the block emulator (tests/emulation/block_emulation.hpp), which
// runs a cluster's blocks together, through its cluster state. A cluster is 1-D: blocks
// rank * ... of consecutive blockIdx.x.
#pragma once

#ifndef EBMKIT_BLOCK_EMULATION
#include <cooperative_groups.h>
#endif

namespace ebmkit::kernels::cluster {

#ifdef EBMKIT_BLOCK_EMULATION
__device__ inline unsigned rank() { return ::emulation::cluster_rank(); }
__device__ inline unsigned size() { return ::emulation::cluster_size(); }
__device__ inline void sync() { ::emulation::cluster_sync(); }
template <class T>
__device__ T* peer(T* local, unsigned rank) {
    return reinterpret_cast<T*>(::emulation::cluster_peer(local, rank));
}
#elif defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 900
// No clusters before sm_90; the launch plans never choose them there (DeviceLimits::cluster_blocks).
__device__ inline unsigned rank() { return 0; }
__device__ inline unsigned size() { return 1; }
__device__ inline void sync() { __trap(); }
template <class T>
__device__ T* peer(T*, unsigned) {
    __trap();
    return nullptr;
}
#else
__device__ inline unsigned rank() { return cooperative_groups::this_cluster().block_rank(); }
__device__ inline unsigned size() { return cooperative_groups::this_cluster().num_blocks(); }
// Every block's shared-memory writes before it are visible to every block of the cluster after.
__device__ inline void sync() { cooperative_groups::this_cluster().sync(); }
template <class T>
__device__ T* peer(T* local, unsigned rank) {
    return cooperative_groups::this_cluster().map_shared_rank(local, rank);
}
#endif

}  // namespace ebmkit::kernels::cluster
