// Launchers of kernels/tempering.cu: parallel-tempering sweeps of Bernoulli RBMs (the
// math and the keys: include/ebmkit/tempering.hpp). Plain C++: host/ includes this
// without CUDA headers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/launch_shape.hpp"
#include "kernels/rbm.hpp"

struct CUstream_st;

namespace ebmkit::kernels {

// sweeps.count sweeps, keyed sweeps.first ..., of the replica-major states v [R * S, D]
// and h [R * S, M] (row r * S + c) at betas [R] (device memory, like every pointer
// here); accepted [R - 1] adds the swaps accepted per pair. One launch where every
// replica of a chain fits in a block, else three per sweep: it can run any arguments.
struct TemperingSweeps {
    struct Arguments {
        RbmParams rbm;
        const float* betas = nullptr;
        int replicas = 0;
        std::int64_t chains = 0;
        float* v = nullptr;
        float* h = nullptr;
        std::uint64_t seed = 0;
        Steps sweeps;
        unsigned long long* accepted = nullptr;
    };
    static Status can_implement(const Arguments&) { return {}; }
    static std::size_t workspace_bytes(const Arguments&) { return 0; }
    static void run(const Arguments& a, void* workspace, CUstream_st* stream);
};

// The swap moves of one parity: pairs (r, r + 1) with r = parity, parity + 2, ... < R - 1.
inline int tempering_pairs(int replicas, int parity) { return (replicas - parity) / 2; }

// A block per (chain, pair of the parity): blockIdx.x the chain, blockIdx.y the pair.
inline constexpr int tempering_swap_threads = 256;
inline LaunchShape tempering_swap_shape(std::int64_t chains, int pairs) {
    if (pairs > 65535) throw Error("tempering swaps: " + std::to_string(pairs) + " pairs exceed one launch's grid");
    LaunchShape s{checked_blocks(chains, "tempering swaps"), tempering_swap_threads, 0};
    s.blocks_y = static_cast<unsigned>(pairs > 0 ? pairs : 1);
    return s;
}


// The on-chip chain (kernels/tempering.cuh's tempering_chain_tile): a block per
// rows / R chains, every replica of them in the block's shared_bytes.
inline LaunchShape tempering_chain_shape(std::int64_t chains, int rows, int replicas, int shared_bytes) {
    return row_tiles(chains, rows / replicas, tempering_swap_threads, shared_bytes, "tempering chain");
}

}  // namespace ebmkit::kernels
