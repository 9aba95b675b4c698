// The killed-rank test's job (tests/communicator_test.cpp): every rank sums a tensor
// with the others 1,000 times; rank R kills itself (SIGKILL) after N sums.
// Usage: mpirun -np 2 communicator_worker --kill-rank R --after N
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "ebmkit/communicator.hpp"

int main(int argc, char** argv) {
    int kill_rank = -1, after = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--kill-rank")) kill_rank = std::atoi(argv[i + 1]);
        if (!std::strcmp(argv[i], "--after")) after = std::atoi(argv[i + 1]);
    }
    ebmkit::Context ctx(ebmkit::Backend::Cpu);
    const ebmkit::Communicator comm = ebmkit::Communicator::world(ctx);
    ebmkit::Tensor t = ebmkit::Tensor::zeros({1000});
    for (int i = 0; i < 1000; ++i) {
        if (comm.rank() == kill_rank && i == after) std::raise(SIGKILL);
        comm.allreduce_sum({t});
    }
    std::printf("worker: done on rank %d\n", comm.rank());
    return 0;
}
