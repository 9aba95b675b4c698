/// @file
/// Context: where and how ebmkit computes. Every operation takes a Context&.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "ebmkit/tensor.hpp"

/// Opaque CUDA handle types, declared exactly as the CUDA headers declare them so
/// this header stays free of CUDA includes.
struct CUstream_st;
struct cublasContext;

namespace ebmkit {

/// Where a Context computes: the CPU reference path, a CUDA device, or Auto (the GPU when
/// one is present, else the CPU).
enum class Backend { Cpu, Cuda, Auto };
/// Compute precision of the GPU matrix products; storage is always float32.
enum class Precision { Fp32, Tf32, Bf16 };
/// Which CUDA implementation computes MLP energies and Langevin chains: Unfused is
/// cuBLAS + elementwise kernels, Fused the one-kernel-per-call fused kernels (an Error
/// where the model does not fit on chip; see uses_fused_mlp in mlp.hpp), Auto the one
/// measured faster: the unfused path, which beat the fused kernels in each of the 126
/// MLP and chain workloads timed on an H200 (1.2 to 14.5 times; bench/RESULTS.md, 2026-12-04).
enum class MlpPath { Auto, Fused, Unfused };
/// How the on-chip kernels (the RBM Gibbs chain, the fused MLP kernels and the fused
/// Langevin chain) spread a few rows over the GPU: RowTiles, a block per tile of rows;
/// Clusters, each 16-row tile's columns split across a thread-block cluster (Hopper's
/// distributed shared memory), so that a small batch reaches more multiprocessors; Grid
/// (the fused Langevin chain; the other kernels take clusters), a block per
/// multiprocessor in one cooperative launch, every product of a step shared by all of
/// them (inner dimensions split, the partial sums reduced in a fixed order) with a grid
/// barrier between products; Auto, clusters where row tiles would leave multiprocessors
/// idle and the device has clusters, and for the chain the grid plan where clusters still
/// would. Row tiles and clusters give the same draws and bits; the grid plan the same
/// draws, its sums to rounding. The choice is there so that a benchmark can compare them.
enum class TilePlan { Auto, RowTiles, Clusters, Grid };

/// @{
/// The name of a setting as the ebm command and the Python package spell it ("cpu",
/// "tf32", "unfused", "row_tiles", ...; names.hpp lists them all).
const char* to_string(Backend backend);
const char* to_string(Precision precision);
const char* to_string(MlpPath path);
const char* to_string(TilePlan plan);
/// @}

/// True when this build has the CUDA backend and a CUDA device is visible.
bool cuda_available();

/// Host-device traffic: what a training iteration should keep to its one statistics copy.
struct TransferCounts {
    std::int64_t copies = 0;           ///< copies between host and device memory (either way)
    std::int64_t synchronizations = 0; ///< waits of the host for the device, a synchronous copy's included
    std::int64_t allocations = 0;      ///< device allocations (Tensors, workspaces, scratch)
};

class Context;
namespace detail {
/// The context's stream, shared with the tensors allocated on it (which free on it, so
/// it lives as long as the last of them), and its pinned host staging of at least bytes
/// (host/cuda/context_resources.cpp).
std::shared_ptr<CUstream_st> shared_stream(Context& ctx);
void* host_staging(Context& ctx, std::size_t bytes);
}  // namespace detail

/// Where work runs: a backend (and, on CUDA, a stream, a cuBLAS handle and a workspace),
/// the seed that keys every random draw, the precision of the matrix products, the MLP
/// path and the tile plan. Every operation takes one; a context belongs to one thread at
/// a time.
class Context {
public:
    /// Auto resolves to Cuda when cuda_available(), else Cpu. Asking for Cuda
    /// without a device throws Error. seed keys every random draw (docs/ARCHITECTURE.md §6).
    explicit Context(Backend backend = Backend::Auto, std::uint64_t seed = 0,
                     Precision precision = Precision::Fp32);
    ~Context() = default;
    /// @{
    /// Moves the context's resources; copies are not allowed.
    Context(Context&&) noexcept = default;
    Context& operator=(Context&&) noexcept = default;
    /// @}
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;

    /// The backend, Cpu or Cuda (Auto is resolved at construction).
    Backend backend() const { return backend_; }
    /// Where this context's tensors live: Host for Cpu, Cuda for Cuda.
    Device device() const { return backend_ == Backend::Cuda ? Device::Cuda : Device::Host; }
    /// @{
    /// The seed, the precision of the matrix products, the MLP path and the tile plan,
    /// and their setters (they apply to the calls made after).
    std::uint64_t seed() const { return seed_; }
    void set_seed(std::uint64_t seed) { seed_ = seed; }
    Precision precision() const { return precision_; }
    void set_precision(Precision precision) { precision_ = precision; }
    MlpPath mlp_path() const { return mlp_path_; }
    void set_mlp_path(MlpPath path) { mlp_path_ = path; }
    TilePlan tile_plan() const { return tile_plan_; }
    void set_tile_plan(TilePlan plan) { tile_plan_ = plan; }
    /// @}

    /// @{
    /// CUDA resources, created on first use; Error on a Cpu context.
    CUstream_st* stream();
    cublasContext* cublas();
    /// @}
    /// Device scratch of at least bytes, reused across calls (grows, never shrinks).
    void* workspace(std::size_t bytes);
    /// Waits for all work queued on the stream (no-op on Cpu).
    void synchronize();
    /// Ordering with a stream of the caller's (a framework's current stream, e.g.
    /// torch.cuda.current_stream().cuda_stream; nullptr is the legacy default stream)
    /// without a host wait. ebmkit's work, its allocations, copies and memsets stay on the
    /// context's stream (docs/ARCHITECTURE.md §5); an event at each end of a call fences
    /// the two:
    ///   ctx.wait_for_stream(s); energy(ctx, model, x, e); ctx.make_stream_wait(s);
    /// wait_for_stream queues on the context's stream a wait for everything queued on
    /// caller so far; make_stream_wait queues on caller a wait for everything queued on
    /// the context's stream so far. Error on a Cpu context.
    void wait_for_stream(CUstream_st* caller);
    void make_stream_wait(CUstream_st* caller);  ///< the other direction (see wait_for_stream)
    /// Runs the context's work from now on on caller's stream (torch.cuda.current_stream().
    /// cuda_stream, say; nullptr is the legacy default stream), so that it needs no fence
    /// with the caller's work: ebmkit's allocations, copies, kernels and cuBLAS products all
    /// queue there. The stream stays the caller's: it must outlive the context and the
    /// tensors allocated on it. Work queued on the context's previous stream is waited for
    /// first (no host wait). On the legacy default stream nothing can be captured as a CUDA
    /// graph, so the graph-replayed paths (Langevin steps, a trainer's iteration) queue
    /// their launches one by one there. Error on a Cpu context.
    void adopt_stream(CUstream_st* caller);

    /// The host-device copies, host waits and device allocations ebmkit made on the
    /// calling thread since this context was made or since reset_transfers(). They are
    /// counted at the one door to the CUDA runtime's memory calls (host/cuda/device_memory.cpp),
    /// so work of another context on the same thread shows too; a CPU context counts none
    /// of its own.
    TransferCounts transfers() const;
    void reset_transfers();  ///< starts the counts of transfers() afresh

private:
    friend std::shared_ptr<CUstream_st> detail::shared_stream(Context& ctx);
    friend void* detail::host_staging(Context& ctx, std::size_t bytes);
    struct CudaResources;
    struct CudaResourcesDeleter {
        void operator()(CudaResources* resources) const noexcept;
    };
    CudaResources& cuda();
    Backend backend_;
    std::uint64_t seed_;
    Precision precision_;
    MlpPath mlp_path_ = MlpPath::Auto;
    TilePlan tile_plan_ = TilePlan::Auto;
    TransferCounts transfers_at_reset_;
    std::unique_ptr<CudaResources, CudaResourcesDeleter> cuda_;
};

/// A precision for the calls made within a scope, the context's own restored after:
///   { ScopedPrecision bf16(ctx, Precision::Bf16); energy_grad_x(ctx, model, x, g); }
class ScopedPrecision {
public:
    /// Sets ctx's precision until the end of the scope.
    ScopedPrecision(Context& ctx, Precision precision) : ctx_(ctx), saved_(ctx.precision()) {
        ctx.set_precision(precision);
    }
    ~ScopedPrecision() { ctx_.set_precision(saved_); }
    ScopedPrecision(const ScopedPrecision&) = delete;
    ScopedPrecision& operator=(const ScopedPrecision&) = delete;

private:
    Context& ctx_;
    Precision saved_;
};

}  // namespace ebmkit
