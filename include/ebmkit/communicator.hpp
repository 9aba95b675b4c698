/// @file
/// Data-parallel collectives over processes: the ranks of an MPI job (mpirun -np N)
/// sum their tensors elementwise. On the CPU backend through MPI; on a CUDA context
/// through NCCL on the context's stream, its unique id shared by MPI. The one-rank
/// communicator (the default constructor) is always available and changes nothing.
/// MPI is an optional part of the build (EBMKIT_WITH_MPI when CMake finds it; NCCL
/// where it is found beside CUDA): world() throws Error naming what is missing.
#pragma once

#include <memory>
#include <vector>

#include "ebmkit/context.hpp"
#include "ebmkit/tensor.hpp"

namespace ebmkit {

/// The ranks of a data-parallel job and their one collective, a sum over a list of float32 views (MPI between CPU processes, NCCL between GPUs); a default-constructed one is a single rank.
class Communicator {
public:
    /// One rank: rank 0 of 1; allreduce_sum leaves every tensor as it is.
    Communicator();
    /// Every process of MPI_COMM_WORLD (MPI initialised on first use, with thread
    /// support "funneled", and finalised at exit), collectives on ctx's backend:
    /// MPI for Backend::Cpu, NCCL on ctx.stream() for Backend::Cuda. ctx must outlive
    /// the communicator. An MPI error in a collective is thrown as Error with MPI's text;
    /// a rank that dies makes mpirun end the others (OpenMPI's default).
    static Communicator world(Context& ctx);
    /// @{
    /// Whether this build has MPI (world() works), and NCCL (world() on a CUDA context).
    static bool mpi_built();
    static bool nccl_built();
    /// @}

    /// This process's rank, 0 .. size() - 1.
    int rank() const;
    /// The number of ranks.
    int size() const;
    /// Sums each tensor (F32, on the communicator's device: the host for MPI, the
    /// context's GPU for NCCL; or all on the host, through MPI, whatever the context) over
    /// the ranks, in place, as one collective over the views packed end to end: after it
    /// every rank holds the same sums. Every rank must pass views of the same sizes in the
    /// same order (checked: where the ranks' total element counts differ, every rank
    /// throws Error), a check that costs a small blocking collective before the data moves,
    /// unless the count was agreed before (agree_count).
    void allreduce_sum(const std::vector<TensorView>& tensors) const;
    /// A collective: every rank states the element count of a reduction it will repeat (a
    /// trainer's flat gradient, at construction), checked once (Error on every rank where
    /// they differ); the reductions of that count then skip allreduce_sum's check. One
    /// rank: nothing to agree.
    void agree_count(std::int64_t count) const;
    /// Blocks until every rank has called it.
    void barrier() const;
    /// Ends every rank of the job with status (MPI_Abort), for an error on one rank that
    /// the others, waiting in a collective, would not see; one rank: std::exit(status).
    [[noreturn]] void abort(int status) const;

    struct Backend;  ///< implementation (host/mpi/communicator_mpi.cpp)

private:
    explicit Communicator(std::shared_ptr<Backend> backend);
    std::shared_ptr<Backend> backend_;  ///< null: one rank
};

}  // namespace ebmkit
