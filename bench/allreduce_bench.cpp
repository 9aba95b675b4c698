// The all-reduce of a data-parallel step (ebmkit::Communicator): the mean time of one
// allreduce_sum of a flat gradient of each size, on the ranks of an MPI job, after a
// warm-up. One JSON line per size on rank 0's stdout.
// Usage: mpirun -np N ebm-allreduce-bench [--backend cpu|cuda] [FLOATS...]
//   default sizes: the JEM MLP 784-256-256-10 (269,322 parameters) and the 784x500 RBM (393,284)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "ebmkit/communicator.hpp"

int main(int argc, char** argv) {
    ebmkit::Backend backend = ebmkit::Backend::Cpu;
    std::vector<long> sizes;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--backend" && i + 1 < argc) backend = std::string(argv[++i]) == "cuda" ? ebmkit::Backend::Cuda : backend;
        else sizes.push_back(std::atol(argv[i]));
    }
    if (sizes.empty()) sizes = {269322, 393284};
    ebmkit::Context ctx(backend);
    const ebmkit::Communicator comm = ebmkit::Communicator::world(ctx);
    for (long n : sizes) {
        ebmkit::Tensor t = ebmkit::Tensor::zeros({n}, ebmkit::DType::F32, ctx.device());
        for (int i = 0; i < 20; ++i) comm.allreduce_sum({t});
        ctx.synchronize();
        comm.barrier();
        constexpr int reps = 500;
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < reps; ++i) comm.allreduce_sum({t});
        ctx.synchronize();
        const double us =
            std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() / reps;
        if (comm.rank() == 0) {
            std::printf("{\"workload\": \"allreduce_sum\", \"backend\": \"%s\", \"ranks\": %d, \"floats\": %ld, "
                        "\"bytes\": %ld, \"microseconds\": %.1f}\n",
                        ebmkit::to_string(ctx.backend()), comm.size(), n, 4 * n, us);
        }
    }
    return 0;
}
