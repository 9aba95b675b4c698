// The grid-wide barrier of a cooperative launch (LaunchShape::cooperative: every block
// resident at once), which the grid plan of the fused Langevin chain (kernels/mlp_grid.cuh)
// puts between the products of a step. On the device through cooperative_groups; in the
// block emulator (tests/emulation/block_emulation.hpp), which runs such a grid's blocks
// together, through its barrier.
#pragma once

#ifndef EBMKIT_BLOCK_EMULATION
#include <cooperative_groups.h>
#endif

namespace ebmkit::kernels::grid {

#ifdef EBMKIT_BLOCK_EMULATION
__device__ inline void sync() { ::emulation::grid_sync(); }
#else
// Every block's global-memory writes before it are visible to every block after.
__device__ inline void sync() { cooperative_groups::this_grid().sync(); }
#endif

}  // namespace ebmkit::kernels::grid
