// mpirun -np N ebm jem|rbm train ...: the processes of an MPI job train one model
// together (ebmkit::Communicator, data parallel); rank 0 alone prints, logs, plots and
// writes files, the other ranks speak only to report an error.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "ebmkit/communicator.hpp"
#include "ebmkit/context.hpp"

namespace ebm {

class Ranks {
public:
    // The MPI job's ranks when an MPI launcher (mpirun, mpiexec, srun with PMI) started
    // this process, else one rank. Ranks other than 0 send stdout and stderr to
    // /dev/null from here on (error_stream() keeps the real stderr).
    explicit Ranks(ebmkit::Context& ctx);
    const ebmkit::Communicator& comm() const { return comm_; }
    int size() const { return comm_.size(); }
    bool lead() const { return comm_.rank() == 0; }
    // A UsageError unless value splits evenly among the ranks:
    // "rbm train: --batch 100 must be a multiple of the 3 ranks (each takes --batch / 3)".
    void check_split(const std::string& command, const std::string& option, std::int64_t value) const;
    // For a command's opening line: ", N ranks of batch B / N" with several ranks, else "".
    std::string batch_split(std::int64_t batch) const;

private:
    ebmkit::Communicator comm_;
};

// Where errors go: stderr, or on a quiet rank the stderr it had before.
std::FILE* error_stream();
// "" on one rank or rank 0, else "rank R: ".
std::string error_prefix();
// After an error on this rank of a job of several: ends every rank with status (the
// others may be waiting for this one in a collective). Otherwise returns status.
int end_job(int status);

}  // namespace ebm
