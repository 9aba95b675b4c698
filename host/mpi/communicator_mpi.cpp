// ebmkit::Communicator over MPI (the CPU backend) and NCCL (the CUDA backend, its
// unique id broadcast by MPI). Built only when CMake finds MPI (EBMKIT_WITH_MPI).
#include <mpi.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "ebmkit/error.hpp"
#include "host/mpi/communicator_backend.hpp"
#if EBMKIT_WITH_NCCL
#include <cuda_runtime.h>
#include <nccl.h>
#endif

namespace ebmkit {

struct Communicator::Backend {
    MPI_Comm comm = MPI_COMM_NULL;  // a duplicate of MPI_COMM_WORLD whose errors return
    int rank = 0, size = 1;
    Device device = Device::Host;
    std::set<long long> agreed;  // element counts every rank agreed on (agree_count)
#if EBMKIT_WITH_NCCL
    ncclComm_t nccl = nullptr;
    cudaStream_t stream = nullptr;
#endif
    ~Backend();
};

namespace {

void check_mpi(int code, const char* what) {
    if (code == MPI_SUCCESS) return;
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(code, text, &length);
    throw Error(std::string("Communicator: ") + what + " failed: " + std::string(text, static_cast<std::size_t>(length)));
}

#if EBMKIT_WITH_NCCL
void check_nccl(ncclResult_t code, const char* what) {
    if (code != ncclSuccess) throw Error(std::string("Communicator: ") + what + " failed: " + ncclGetErrorString(code));
}
#endif

bool mpi_finalized() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    return finalized != 0;
}

// MPI_Init_thread once per process (unless the caller initialised MPI), MPI_Finalize at exit.
void ensure_mpi() {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (initialized) return;
    if (mpi_finalized()) throw Error("Communicator::world: MPI was already finalised in this process");
    int provided = 0;
    check_mpi(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    std::atexit([] {
        if (!mpi_finalized()) MPI_Finalize();
    });
}

}  // namespace

Communicator::Backend::~Backend() {
#if EBMKIT_WITH_NCCL
    if (nccl) ncclCommDestroy(nccl);
#endif
    if (comm != MPI_COMM_NULL && !mpi_finalized()) MPI_Comm_free(&comm);
}

namespace detail {

std::shared_ptr<Communicator::Backend> world_backend(Context& ctx) {
    ensure_mpi();
    auto b = std::make_shared<Communicator::Backend>();
    check_mpi(MPI_Comm_dup(MPI_COMM_WORLD, &b->comm), "MPI_Comm_dup");
    check_mpi(MPI_Comm_set_errhandler(b->comm, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
    check_mpi(MPI_Comm_rank(b->comm, &b->rank), "MPI_Comm_rank");
    check_mpi(MPI_Comm_size(b->comm, &b->size), "MPI_Comm_size");
    // A context whose tensors live on the device reduces them there, over NCCL.
    if (ctx.device() == Device::Cuda) {
#if EBMKIT_WITH_NCCL
        ncclUniqueId id;
        if (b->rank == 0) check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
        check_mpi(MPI_Bcast(&id, sizeof id, MPI_BYTE, 0, b->comm), "MPI_Bcast of the NCCL id");
        check_nccl(ncclCommInitRank(&b->nccl, b->size, id, b->rank), "ncclCommInitRank");
        b->stream = ctx.stream();
        b->device = Device::Cuda;
#else
        throw Error("Communicator::world: a CUDA context needs NCCL, and this ebmkit was built without it");
#endif
    }
    return b;
}

int rank(const Communicator::Backend& b) { return b.rank; }
int size(const Communicator::Backend& b) { return b.size; }
Device device(const Communicator::Backend& b) { return b.device; }

namespace {
// MPI_Allreduce in place over count floats, in pieces whose counts fit MPI's int.
void sum_floats(const Communicator::Backend& b, float* data, long long count) {
    constexpr long long piece = 1LL << 30;
    for (long long at = 0; at < count; at += piece) {
        const int n = static_cast<int>(std::min(piece, count - at));
        check_mpi(MPI_Allreduce(MPI_IN_PLACE, data + at, n, MPI_FLOAT, MPI_SUM, b.comm), "MPI_Allreduce");
    }
}
}  // namespace

namespace {
// Every rank learns whether all agree on count before any data moves.
void check_same_count(const Communicator::Backend& b, const char* op, long long count) {
    long long extremes[2] = {count, -count};
    check_mpi(MPI_Allreduce(MPI_IN_PLACE, extremes, 2, MPI_LONG_LONG, MPI_MAX, b.comm), "MPI_Allreduce of the sizes");
    if (extremes[0] != -extremes[1]) {
        throw Error(std::string(op) + ": the ranks pass different element counts (between " +
                    std::to_string(-extremes[1]) + " and " + std::to_string(extremes[0]) + "; this rank " +
                    std::to_string(count) + ")");
    }
}
}  // namespace

void agree_count(Communicator::Backend& b, long long count) {
    check_same_count(b, "Communicator::agree_count", count);
    b.agreed.insert(count);
}

void allreduce_sum(const Communicator::Backend& b, const std::vector<TensorView>& tensors) {
    long long count = 0;
    for (const TensorView& t : tensors) count += t.numel();
    if (b.agreed.count(count) == 0) check_same_count(b, "Communicator::allreduce_sum", count);
    if (count == 0) return;
#if EBMKIT_WITH_NCCL
    if (b.device == Device::Cuda && tensors[0].device() == Device::Cuda) {
        check_nccl(ncclGroupStart(), "ncclGroupStart");
        for (const TensorView& t : tensors) {
            if (t.numel() == 0) continue;
            float* p = t.data<float>();
            check_nccl(ncclAllReduce(p, p, static_cast<std::size_t>(t.numel()), ncclFloat, ncclSum, b.nccl, b.stream),
                       "ncclAllReduce");
        }
        check_nccl(ncclGroupEnd(), "ncclGroupEnd");
        return;
    }
#endif
    if (tensors.size() == 1) return sum_floats(b, tensors[0].data<float>(), count);
    // One collective over the views packed end to end.
    std::vector<float> packed(static_cast<std::size_t>(count));
    std::size_t at = 0;
    for (const TensorView& t : tensors) {
        const float* p = t.data<float>();
        std::copy(p, p + t.numel(), packed.data() + at);
        at += static_cast<std::size_t>(t.numel());
    }
    sum_floats(b, packed.data(), count);
    at = 0;
    for (const TensorView& t : tensors) {
        std::copy(packed.data() + at, packed.data() + at + t.numel(), t.data<float>());
        at += static_cast<std::size_t>(t.numel());
    }
}

void barrier(const Communicator::Backend& b) { check_mpi(MPI_Barrier(b.comm), "MPI_Barrier"); }

void abort(const Communicator::Backend& b, int status) {
    MPI_Abort(b.comm, status);
    std::_Exit(status);  // MPI_Abort does not return; should it, this rank still ends
}

}  // namespace detail
}  // namespace ebmkit
