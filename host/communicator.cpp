// The one-rank Communicator and the dispatch to the MPI / NCCL backend
// (host/mpi/communicator_mpi.cpp, built with MPI only; without it backend_ stays null).
#include "ebmkit/communicator.hpp"

#include <cstdlib>
#include <string>

#include "check.hpp"
#include "host/mpi/communicator_backend.hpp"

namespace ebmkit {

Communicator::Communicator() = default;
Communicator::Communicator(std::shared_ptr<Backend> backend) : backend_(std::move(backend)) {}

Communicator Communicator::world(Context& ctx) {
#if EBMKIT_WITH_MPI
    return Communicator(detail::world_backend(ctx));
#else
    (void)ctx;
    throw Error("Communicator::world: this ebmkit was built without MPI (install an MPI, e.g. Debian's libopenmpi-dev, "
                "and reconfigure)");
#endif
}

bool Communicator::mpi_built() { return EBMKIT_WITH_MPI != 0; }
bool Communicator::nccl_built() { return EBMKIT_WITH_NCCL != 0; }

#if EBMKIT_WITH_MPI
int Communicator::rank() const { return backend_ ? detail::rank(*backend_) : 0; }
int Communicator::size() const { return backend_ ? detail::size(*backend_) : 1; }
#else
int Communicator::rank() const { return 0; }
int Communicator::size() const { return 1; }
#endif

void Communicator::allreduce_sum(const std::vector<TensorView>& tensors) const {
    constexpr const char* op = "Communicator::allreduce_sum";
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        if (tensors[i].dtype() != DType::F32) {
            detail::fail(std::string(op) + ": tensors[" + std::to_string(i) + "] must be float32");
        }
    }
#if EBMKIT_WITH_MPI
    if (!backend_) return;
    // All on the communicator's device, or all on the host (MPI carries host views on a
    // CUDA communicator too: a trainer's few statistics).
    const Device device = detail::device(*backend_);
    const Device first = tensors.empty() ? device : tensors[0].device();
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        if (tensors[i].device() != first || (first != device && first != Device::Host)) {
            detail::fail(std::string(op) + ": tensors[" + std::to_string(i) + "] must be on the communicator's device (" +
                         (device == Device::Cuda ? "cuda" : "host") + "), or every tensor on the host");
        }
    }
    detail::allreduce_sum(*backend_, tensors);
#endif
}

void Communicator::agree_count(std::int64_t count) const {
#if EBMKIT_WITH_MPI
    if (backend_) detail::agree_count(*backend_, count);
#else
    (void)count;
#endif
}

void Communicator::barrier() const {
#if EBMKIT_WITH_MPI
    if (backend_) detail::barrier(*backend_);
#endif
}

void Communicator::abort(int status) const {
#if EBMKIT_WITH_MPI
    if (backend_) detail::abort(*backend_, status);
#endif
    std::exit(status);
}

}  // namespace ebmkit
