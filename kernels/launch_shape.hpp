// Launch shapes as plain host functions of the problem and the device's limits. Every
// launcher launches exactly the shape one of these returns, so tests check the shapes
// for any GPU (an H100's limits, a small GPU's) without one, and the emulated suites
// (tests/emulation/) run the kernel bodies over the very same grids.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>

#include "ebmkit/context.hpp"
#include "ebmkit/error.hpp"

namespace ebmkit::kernels {

struct DeviceLimits {
    int shared_bytes;     // dynamic shared memory one block may opt in to
    int multiprocessors;
    int cluster_blocks = 1;  // the most blocks of a thread-block cluster a plan uses (1: no clusters)
    bool cooperative = false;  // cooperative launches (a grid-wide barrier; the grid plan)
};

// sm_90 (H100, H200): 227 KB of opt-in shared memory per block, 132 SMs on an H100 SXM,
// clusters of up to 8 blocks (the portable size; 16 needs a non-portable opt-in),
// cooperative launches.
inline constexpr DeviceLimits h100_limits{232448, 132, 8, true};
// A kernel asking for more dynamic shared memory than this must opt in first
// (cudaFuncSetAttribute(..., cudaFuncAttributeMaxDynamicSharedMemorySize, bytes)).
inline constexpr int default_dynamic_shared_bytes = 48 * 1024;
// Grid-stride kernels launch at most this many blocks per multiprocessor: enough
// resident warps to hide memory latency, few enough that each thread loops.
inline constexpr int grid_stride_blocks_per_multiprocessor = 16;

// The current device's limits, queried once per device and host thread
// (kernels/device_limits.cu); launchers ask on every call.
DeviceLimits device_limits();

struct LaunchShape {
    unsigned blocks;
    int threads;
    int shared_bytes = 0;  // dynamic
    unsigned blocks_y = 1;  // a second grid dimension (gridDim.y), at most 65,535
    int cluster = 1;        // blocks per thread-block cluster along x (blocks is a multiple)
    bool cooperative = false;  // every block resident at once (kernels/grid_barrier.cuh)
};

inline unsigned checked_blocks(std::int64_t blocks, const char* what) {
    if (blocks > 0x7fffffff) {
        throw Error(std::string(what) + ": " + std::to_string(blocks) + " blocks exceed one launch's grid");
    }
    return static_cast<unsigned>(std::max<std::int64_t>(blocks, 1));
}

// Every item its own thread: ceil(items / threads) blocks (at least one).
inline LaunchShape one_per_thread(std::int64_t items, int threads, const char* what) {
    return {checked_blocks((items + threads - 1) / threads, what), threads, 0};
}

// A grid-stride loop over items, `per_block` items per block per pass: enough blocks
// for one pass, capped at grid_stride_blocks_per_multiprocessor per multiprocessor.
inline LaunchShape grid_stride(std::int64_t items, int per_block, int threads, const DeviceLimits& limits) {
    const std::int64_t cap = static_cast<std::int64_t>(limits.multiprocessors) * grid_stride_blocks_per_multiprocessor;
    return {static_cast<unsigned>(std::clamp<std::int64_t>((items + per_block - 1) / per_block, 1, cap)), threads, 0};
}

// A block per tile of rows_per_block rows (the fused MLP, Langevin-chain and Gibbs-chain
// kernels), with its dynamic shared memory.
inline LaunchShape row_tiles(std::int64_t rows, int rows_per_block, int threads, int shared_bytes, const char* what) {
    LaunchShape s = one_per_thread(rows, rows_per_block, what);
    s.threads = threads;
    s.shared_bytes = shared_bytes;
    return s;
}

// How an on-chip kernel (the fused MLP, the fused Langevin chain, the RBM Gibbs chain)
// spreads its rows over the device. Row tiles: a block per tile of rows_per_block rows,
// every column of every product of the tile in the block. Clusters: a thread-block
// cluster of `cluster` blocks per tile of 16 rows, block j of it computing the 64-column
// tiles j, j + cluster, ... of each product and sharing them through distributed shared
// memory; the sums and draws are the same, so both plans give the same bits. Grid (the
// fused Langevin chain only, grid_launch): a block per multiprocessor, all of them sharing
// every product of every tile.
struct TileLaunch {
    int rows_per_block = 0;  // 0: the rows do not fit on chip (the caller takes another path)
    int cluster = 1;         // 1: row tiles
    LaunchShape shape{1, 256};
    bool grid() const { return shape.cooperative; }
};

// The plan for `rows` rows when a tile of r rows needs bytes_for(r) bytes of shared
// memory (row_tile_rows: the row-tile plan's rows per block, 0 when 16 do not fit) and
// a product of the tile has at most column_tiles 64-column tiles (more blocks than that
// would idle). Auto takes clusters where row tiles would leave multiprocessors idle and
// the device has clusters, with the smallest cluster (2, 4 or 8 blocks) that puts a
// block on every multiprocessor, else the largest allowed; Clusters takes them whenever
// there are two column tiles to share, and so does Grid here (a kernel without a grid
// plan takes clusters); RowTiles never.
template <class BytesFor>
TileLaunch tile_launch(std::int64_t rows, int row_tile_rows, int column_tiles, int threads, const DeviceLimits& limits,
                       TilePlan wanted, BytesFor bytes_for, const char* what) {
    TileLaunch plan;
    plan.rows_per_block = row_tile_rows;
    if (row_tile_rows == 0) return plan;
    const std::int64_t tiles16 = (rows + 15) / 16;
    const int most = std::min(limits.cluster_blocks, column_tiles);
    int cluster = 1;
    if (wanted != TilePlan::RowTiles && most >= 2) {
        const bool idle = (rows + row_tile_rows - 1) / row_tile_rows < limits.multiprocessors;
        if (wanted != TilePlan::Auto || idle) {
            cluster = 2;
            while (cluster * 2 <= most && tiles16 * cluster < limits.multiprocessors) cluster *= 2;
        }
    }
    if (cluster > 1) {
        plan.rows_per_block = 16;
        plan.cluster = cluster;
        plan.shape = row_tiles(tiles16 * cluster, 1, threads, bytes_for(16), what);
        plan.shape.cluster = cluster;
    } else {
        plan.shape = row_tiles(rows, row_tile_rows, threads, bytes_for(row_tile_rows), what);
    }
    return plan;
}

// The grid plan in place of `on_chip` (tile_launch's row tiles or clusters), where the
// device has cooperative launches and either it is asked for or Auto's on-chip plan
// still leaves multiprocessors idle (a small batch: 64 rows make 4 tiles of 16, 32
// blocks in clusters of 8, for an H100's 132 multiprocessors): a block per
// multiprocessor, resident together (one block of 16-row tiles' GEMM staging,
// staging_bytes, fits beside anything), rows_per_block 16. Else on_chip.
inline TileLaunch grid_launch(const TileLaunch& on_chip, TilePlan wanted, int threads, int staging_bytes,
                              const DeviceLimits& limits) {
    const bool asked = wanted == TilePlan::Grid || (wanted == TilePlan::Auto && on_chip.rows_per_block > 0 &&
                                                    on_chip.shape.blocks < static_cast<unsigned>(limits.multiprocessors));
    if (!limits.cooperative || !asked) return on_chip;
    TileLaunch plan;
    plan.rows_per_block = 16;
    plan.shape = {static_cast<unsigned>(std::max(limits.multiprocessors, 1)), threads, staging_bytes};
    plan.shape.cooperative = true;
    return plan;
}

}  // namespace ebmkit::kernels
