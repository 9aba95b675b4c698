// One CUDA thread block emulated on the host: each of its threads is a std::thread
// with its own threadIdx, __syncthreads is a barrier of all of them, and the warp
// intrinsics the kernels use exchange values through per-warp slots. Enough of the
// CUDA device dialect is defined for the kernel bodies in kernels/*.cuh to compile
// with the host compiler and run as written, so the tests can check their indexing
// and synchronisation without a GPU; WMMA is emulated tile by tile, so the TF32 and
// BF16 branches run too, and cub::BlockReduce, cub::WarpReduce and cub::ShuffleIndex by
// stand-ins with CUB's contracts (a reduction's result only in the first thread or
// lane, storage reusable after a barrier); a __shared__ variable of a body is one
// object per block, as on the device. run_grid runs a whole
// launch shape (kernels/launch_shape.hpp), block after block, with gridDim and
// blockDim set, so grid-stride loops run as on a device of that size; run_clusters runs
// a shape of thread-block clusters, each cluster's blocks together (kernels/cluster.cuh),
// and run_cooperative a cooperative launch, every block together (kernels/grid_barrier.cuh).
#pragma once

// Kernel headers leave out what the emulation stands in for (CUB).
#define EBMKIT_BLOCK_EMULATION 1
#define QUALIFIERS static inline
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <curand_philox4x32_x.h>

#include <cmath>
#include <condition_variable>
#include <cstddef>
#include <cstring>
#include <cstdint>
#include <algorithm>
#include <array>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

#include "kernels/launch_shape.hpp"

namespace emulation {

// The devices the emulated suites size their launches for: an H100, and a small GPU
// (one SM and 48 KB of shared memory, a Jetson Nano's) on which grid-stride loops take
// several passes.
inline constexpr ebmkit::kernels::DeviceLimits h100 = ebmkit::kernels::h100_limits;
inline constexpr ebmkit::kernels::DeviceLimits small_gpu{48 * 1024, 1};

class Barrier {
public:
    explicit Barrier(int count) : count_(count) {}
    void wait() {
        std::unique_lock<std::mutex> lock(mutex_);
        const long generation = generation_;
        if (++waiting_ == count_) {
            waiting_ = 0;
            ++generation_;
            cv_.notify_all();
        } else {
            cv_.wait(lock, [&] { return generation != generation_; });
        }
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    int count_, waiting_ = 0;
    long generation_ = 0;
};

struct Block {
    explicit Block(int threads) : all(threads) {
        for (int w = 0; w < (threads + 31) / 32; ++w) warps.emplace_back(new Barrier(32));
        slots.resize(static_cast<std::size_t>(threads));
    }
    Barrier all;
    std::vector<std::unique_ptr<Barrier>> warps;
    std::vector<std::array<unsigned char, 32>> slots;  // one per thread, for warp exchanges
};

inline thread_local Block* current = nullptr;
inline thread_local uint3 thread_index{};
inline thread_local uint3 block_index{};
inline thread_local dim3 block_dim{};
inline thread_local dim3 grid_dim{};

// Runs body() on `threads` host threads (a multiple of 32) as block `block` of a grid
// of `grid` blocks.
inline void run_block(int threads, uint3 block, const std::function<void()>& body, dim3 grid = dim3(1, 1, 1)) {
    Block b(threads);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            current = &b;
            thread_index = {static_cast<unsigned>(t), 0, 0};
            block_index = block;
            block_dim = dim3(static_cast<unsigned>(threads), 1, 1);
            grid_dim = grid;
            body();
        });
    }
    for (auto& th : pool) th.join();
}

// Runs body() as every block of a launch shape (kernels/launch_shape.hpp), one block at
// a time on one pool of shape.threads host threads; body receives the block's dynamic
// shared memory (shape.shared_bytes, NaN-filled before every block so a read before a
// write shows, 128-byte aligned as extern __shared__ is). A device runs blocks in no
// promised order: BlockOrder::Reversed runs the last block first, so that a test can show
// a result does not depend on the order (no float atomics summing across blocks).
enum class BlockOrder { Forward, Reversed };

template <class Shape>
void run_grid(const Shape& shape, const std::function<void(unsigned char*)>& body,
              BlockOrder order = BlockOrder::Forward) {
    const dim3 grid(shape.blocks, shape.blocks_y, 1);
    Block b(shape.threads);
    std::vector<float> shared(static_cast<std::size_t>(shape.shared_bytes) / 4 + 40);
    auto* aligned = reinterpret_cast<unsigned char*>((reinterpret_cast<std::uintptr_t>(shared.data()) + 127) / 128 * 128);
    std::vector<std::thread> pool;
    for (int t = 0; t < shape.threads; ++t) {
        pool.emplace_back([&, t] {
            current = &b;
            thread_index = {static_cast<unsigned>(t), 0, 0};
            block_dim = dim3(static_cast<unsigned>(shape.threads), 1, 1);
            grid_dim = grid;
            const bool reversed = order == BlockOrder::Reversed;
            for (unsigned yi = 0; yi < grid.y; ++yi) {
                for (unsigned xi = 0; xi < grid.x; ++xi) {
                    const unsigned x = reversed ? grid.x - 1 - xi : xi, y = reversed ? grid.y - 1 - yi : yi;
                    if (t == 0) std::fill(shared.begin(), shared.end(), std::nanf(""));
                    b.all.wait();
                    block_index = {x, y, 0};
                    body(aligned);
                    b.all.wait();  // the block's threads are done before the next block starts
                }
            }
        });
    }
    for (auto& th : pool) th.join();
}

// A thread-block cluster (kernels/cluster.cuh): its blocks run together, each on its own
// threads with its own dynamic shared memory; sync() is a barrier of every thread of every
// block, and a peer's shared memory is read where it lies, as distributed shared memory is.
struct Cluster {
    Cluster(int blocks, int threads) : all(blocks * threads), shared(static_cast<std::size_t>(blocks)) {}
    Barrier all;
    std::vector<unsigned char*> shared;  // each block's dynamic shared memory
};

inline thread_local Cluster* current_cluster = nullptr;
inline thread_local unsigned cluster_block = 0;  // this thread's block's rank in its cluster

inline unsigned cluster_rank() { return current_cluster ? cluster_block : 0u; }
inline unsigned cluster_size() { return current_cluster ? static_cast<unsigned>(current_cluster->shared.size()) : 1u; }
inline void cluster_sync() {
    if (current_cluster) current_cluster->all.wait();
    else current->all.wait();  // a cluster of one block
}
// The address in block `rank`'s shared memory of what lies at `local` in this block's.
inline unsigned char* cluster_peer(const void* local, unsigned rank) {
    if (!current_cluster) return static_cast<unsigned char*>(const_cast<void*>(local));
    const std::ptrdiff_t offset = static_cast<const unsigned char*>(local) - current_cluster->shared[cluster_block];
    return current_cluster->shared[rank] + offset;
}

// Runs body() as every block of a launch shape whose blocks form clusters of
// shape.cluster (kernels/launch_shape.hpp): one cluster at a time, its blocks together on
// shape.cluster x shape.threads host threads, each block's dynamic shared memory
// NaN-filled and 128-byte aligned as in run_grid. A body that runs here must keep its
// shared state in dynamic shared memory (a __shared__ variable is one object per block
// only while blocks run one at a time).
template <class Shape>
void run_clusters(const Shape& shape, const std::function<void(unsigned char*)>& body) {
    const int per_cluster = shape.cluster;
    const dim3 grid(shape.blocks, 1, 1);
    const std::size_t floats = static_cast<std::size_t>(shape.shared_bytes) / 4 + 40;
    for (unsigned first = 0; first < shape.blocks; first += static_cast<unsigned>(per_cluster)) {
        Cluster cluster(per_cluster, shape.threads);
        std::vector<std::unique_ptr<Block>> blocks;
        std::vector<std::vector<float>> memory(static_cast<std::size_t>(per_cluster), std::vector<float>(floats, std::nanf("")));
        for (int j = 0; j < per_cluster; ++j) {
            blocks.emplace_back(new Block(shape.threads));
            cluster.shared[j] = reinterpret_cast<unsigned char*>(
                (reinterpret_cast<std::uintptr_t>(memory[j].data()) + 127) / 128 * 128);
        }
        std::vector<std::thread> pool;
        for (int j = 0; j < per_cluster; ++j) {
            for (int t = 0; t < shape.threads; ++t) {
                pool.emplace_back([&, j, t] {
                    current = blocks[j].get();
                    current_cluster = &cluster;
                    cluster_block = static_cast<unsigned>(j);
                    thread_index = {static_cast<unsigned>(t), 0, 0};
                    block_index = {first + static_cast<unsigned>(j), 0, 0};
                    block_dim = dim3(static_cast<unsigned>(shape.threads), 1, 1);
                    grid_dim = grid;
                    body(cluster.shared[j]);
                    current_cluster = nullptr;
                });
            }
        }
        for (auto& th : pool) th.join();
    }
}

// A cooperative launch (kernels/grid_barrier.cuh): every block of the grid resident at
// once, so it runs as one cluster of all its blocks, and the grid barrier is that
// cluster's barrier. Its bodies use no cluster operation (the grid plan has no clusters).
template <class Shape>
void run_cooperative(Shape shape, const std::function<void(unsigned char*)>& body) {
    shape.cluster = static_cast<int>(shape.blocks);
    run_clusters(shape, body);
}
inline void grid_sync() { cluster_sync(); }

// Lane from_lane's v, for every lane of the warp (a collective: every lane calls it).
template <class T>
T exchange(T v, int from_lane) {
    static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= 32, "exchanged values are small and plain");
    Block& b = *current;
    const int lane = static_cast<int>(thread_index.x % 32), base = static_cast<int>(thread_index.x) - lane;
    Barrier& warp = *b.warps[thread_index.x / 32];
    std::memcpy(b.slots[thread_index.x].data(), &v, sizeof(T));
    warp.wait();
    T out;
    std::memcpy(&out, b.slots[static_cast<std::size_t>(base + from_lane)].data(), sizeof(T));
    warp.wait();
    return out;
}

}  // namespace emulation

// A __shared__ variable in a kernel body is one object per block; blocks run one at a
// time here, so a static object is exactly that.
#undef __shared__
#define __shared__ static
#define threadIdx (::emulation::thread_index)
#define blockIdx (::emulation::block_index)
#define blockDim (::emulation::block_dim)
#define gridDim (::emulation::grid_dim)
inline void __syncthreads() { emulation::current->all.wait(); }
inline void __syncwarp(unsigned = 0xffffffffu) { emulation::current->warps[threadIdx.x / 32]->wait(); }
template <class T>
T atomicAdd(T* address, T value) {
    static std::mutex mutex;
    std::lock_guard<std::mutex> lock(mutex);
    const T old = *address;
    *address = old + value;
    return old;
}
inline int atomicOr(int* address, int value) {
    static std::mutex mutex;
    std::lock_guard<std::mutex> lock(mutex);
    const int old = *address;
    *address = old | value;
    return old;
}

inline int atomicMax(int* address, int value) {
    static std::mutex mutex;
    std::lock_guard<std::mutex> lock(mutex);
    const int old = *address;
    *address = old > value ? old : value;
    return old;
}

// cub::BlockReduce's contract on the host: Reduce(v, op) returns the reduction of the
// block's values in thread 0 (other threads' results are undefined), and the storage
// may be reused only after a __syncthreads, exactly the contract the kernels rely on.
// The combination order differs from CUB's tree, so results match to rounding.
namespace cub {
template <class T, int THREADS>
class BlockReduce {
public:
    struct TempStorage {
        T values[THREADS];
    };
    explicit BlockReduce(TempStorage& storage) : storage_(storage) {}
    template <class Op>
    T Reduce(T value, Op op) {
        storage_.values[threadIdx.x] = value;
        __syncthreads();
        if (threadIdx.x != 0) return value;
        T total = storage_.values[0];
        for (int t = 1; t < THREADS; ++t) total = op(total, storage_.values[t]);
        return total;
    }

private:
    TempStorage& storage_;
};
}  // namespace cub

// cub::WarpReduce's contract on the host: Sum / Reduce over each logical warp of
// LANES lanes, the result valid in the logical warp's first lane (CUB leaves the others
// undefined); every lane of the warp takes part.
namespace cub {
template <class T, int LANES = 32>
class WarpReduce {
public:
    struct TempStorage {};
    explicit WarpReduce(TempStorage&) {}
    template <class Op>
    T Reduce(T value, Op op) {
        const int first = static_cast<int>(threadIdx.x % 32) / LANES * LANES;
        T total = emulation::exchange(value, first);
        for (int i = 1; i < LANES; ++i) total = op(total, emulation::exchange(value, first + i));
        return static_cast<int>(threadIdx.x % 32) == first ? total : value;
    }
    T Sum(T value) {
        return Reduce(value, [](const T& a, const T& b) { return a + b; });
    }
};

// Lane src_lane of the caller's group of LANES lanes, to every lane of the group.
template <int LANES, class T>
T ShuffleIndex(T value, int src_lane, unsigned) {
    return emulation::exchange(value, static_cast<int>(threadIdx.x % 32) / LANES * LANES + src_lane);
}
}  // namespace cub

// WMMA on the host: every thread holds a whole tile (the hardware spreads it over the
// warp), so each thread computes the full product; the results are the same and the
// loads, stores, layouts and strides are exercised as written. TF32 rounding keeps 10
// mantissa bits (round to nearest, ties away, as cvt.rna.tf32.f32 does).
namespace nvcuda::wmma {
namespace precision {
struct tf32 {};
}  // namespace precision
struct row_major {};
struct col_major {};
struct matrix_a {};
struct matrix_b {};
struct accumulator {};
enum layout_t { mem_row_major, mem_col_major };

template <class Use, int M, int N, int K, class T, class Layout = void>
struct fragment {
    static constexpr int rows = std::is_same_v<Use, matrix_a> ? M : std::is_same_v<Use, matrix_b> ? K : M;
    static constexpr int cols = std::is_same_v<Use, matrix_a> ? K : N;
    float v[rows * cols];
};

inline float __float_to_tf32(float f) {
    std::uint32_t bits;
    std::memcpy(&bits, &f, 4);
    if ((bits & 0x7f800000u) != 0x7f800000u) bits = (bits + 0x1000u) & 0xffffe000u;
    std::memcpy(&f, &bits, 4);
    return f;
}

inline float to_float(float v) { return v; }
inline float to_float(__nv_bfloat16 v) { return __bfloat162float(v); }

template <class Use, int M, int N, int K, class T, class Layout>
void fill_fragment(fragment<Use, M, N, K, T, Layout>& f, float value) {
    for (float& e : f.v) e = value;
}

template <class Use, int M, int N, int K, class T, class Layout, class P>
void load_matrix_sync(fragment<Use, M, N, K, T, Layout>& f, const P* p, unsigned ld) {
    using F = fragment<Use, M, N, K, T, Layout>;
    for (int i = 0; i < F::rows; ++i) {
        for (int j = 0; j < F::cols; ++j) {
            f.v[i * F::cols + j] = to_float(std::is_same_v<Layout, row_major> ? p[i * ld + j] : p[j * ld + i]);
        }
    }
}

template <int M, int N, int K, class T>
void store_matrix_sync(float* p, const fragment<accumulator, M, N, K, T>& f, unsigned ld, layout_t layout) {
    if (threadIdx.x % 32 != 0) return;  // one writer per warp
    for (int i = 0; i < M; ++i) {
        for (int j = 0; j < N; ++j) (layout == mem_row_major ? p[i * ld + j] : p[j * ld + i]) = f.v[i * N + j];
    }
}

template <int M, int N, int K, class T, class TA, class LA, class LB>
void mma_sync(fragment<accumulator, M, N, K, T>& d, const fragment<matrix_a, M, N, K, TA, LA>& a,
              const fragment<matrix_b, M, N, K, TA, LB>& b, const fragment<accumulator, M, N, K, T>& c) {
    fragment<accumulator, M, N, K, T> out;
    for (int i = 0; i < M; ++i) {
        for (int j = 0; j < N; ++j) {
            float acc = c.v[i * N + j];
            for (int k = 0; k < K; ++k) acc += a.v[i * K + k] * b.v[k * N + j];
            out.v[i * N + j] = acc;
        }
    }
    d = out;
}
}  // namespace nvcuda::wmma
