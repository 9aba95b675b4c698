#include "ranks.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>

#include "cli.hpp"
#include "ebmkit/error.hpp"

namespace ebm {

namespace {

std::FILE* saved_stderr = nullptr;
int quiet_rank = 0;
ebmkit::Communicator job;  // the last Ranks' communicator, for end_job

// The job's size as the launcher tells its processes (OpenMPI, then PMI / PMIx), or 0.
int launcher_size() {
    for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"}) {
        if (const char* value = std::getenv(name)) return std::atoi(value);
    }
    return 0;
}

ebmkit::Communicator communicator_for(ebmkit::Context& ctx) {
    const int size = launcher_size();
    if (size == 0) return {};
    if (!ebmkit::Communicator::mpi_built()) {
        if (size == 1) return {};
        throw ebmkit::Error("started by an MPI launcher with " + std::to_string(size) +
                            " processes, but this ebm was built without MPI: they would train " + std::to_string(size) +
                            " separate models (install libopenmpi-dev and rebuild)");
    }
    return ebmkit::Communicator::world(ctx);
}

}  // namespace

Ranks::Ranks(ebmkit::Context& ctx) : comm_(communicator_for(ctx)) {
    job = comm_;
    if (lead() || saved_stderr) return;
    std::fflush(stdout);
    std::fflush(stderr);
    saved_stderr = fdopen(dup(STDERR_FILENO), "w");
    quiet_rank = comm_.rank();
    const int null = open("/dev/null", O_WRONLY);
    if (null >= 0) {
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        close(null);
    }
}

void Ranks::check_split(const std::string& command, const std::string& option, std::int64_t value) const {
    if (value % size() != 0) {
        throw UsageError{command + ": " + option + " " + std::to_string(value) + " must be a multiple of the " +
                         std::to_string(size()) + " ranks (each takes " + option + " / " + std::to_string(size()) + ")"};
    }
}

std::string Ranks::batch_split(std::int64_t batch) const {
    if (size() == 1) return "";
    return ", " + std::to_string(size()) + " ranks of batch " + std::to_string(batch / size());
}

std::FILE* error_stream() { return saved_stderr ? saved_stderr : stderr; }

std::string error_prefix() { return quiet_rank ? "rank " + std::to_string(quiet_rank) + ": " : ""; }

int end_job(int status) {
    if (job.size() > 1) {
        std::fflush(error_stream());
        job.abort(status);
    }
    return status;
}

}  // namespace ebm
