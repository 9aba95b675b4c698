// The one-rank Communicator (every build), the build flags, and, where the build has
// MPI, a two-rank job whose second rank is killed mid-collective: mpirun ends the
// other with a clear message well within the timeout, no hang. (The collectives
// themselves under two ranks: tests/communicator_mpi_test.cpp, run by mpirun.)
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <string>

#include "ebmkit/communicator.hpp"
#include "support.hpp"

namespace ebmkit {
namespace {

TEST(Communicator, OneRankChangesNothing) {
    const Communicator one;
    EXPECT_EQ(one.rank(), 0);
    EXPECT_EQ(one.size(), 1);
    Tensor a = Tensor::from({1.5f, -2.0f, 3.0f}, {3}), b = Tensor::from({7.0f}, {1});
    one.allreduce_sum({a, b});
    EXPECT_EQ(a.to_vector<float>(), (std::vector<float>{1.5f, -2.0f, 3.0f}));
    EXPECT_EQ(b.to_vector<float>(), (std::vector<float>{7.0f}));
    one.allreduce_sum({});
    one.agree_count(3);  // nothing to agree with
    one.barrier();
    Tensor ints({2}, DType::I32);
    EXPECT_THROW(one.allreduce_sum({ints}), Error);  // float32 only, as on every rank count
}

TEST(Communicator, WorldNeedsMpiInTheBuild) {
    if (Communicator::mpi_built()) GTEST_SKIP() << "this build has MPI: communicator_mpi_test covers world()";
    Context ctx(Backend::Cpu);
    try {
        Communicator::world(ctx);
        FAIL() << "world() without MPI must throw";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("without MPI"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(Communicator::nccl_built());
}

#ifdef COMMUNICATOR_WORKER
TEST(Communicator, AKilledRankEndsTheJobWithAMessage) {
    if (!Communicator::mpi_built()) GTEST_SKIP() << "no MPI in this build";
    const std::string cmd = std::string("OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 timeout 120 ") + MPIEXEC +
                            " -np 2 --oversubscribe " + COMMUNICATOR_WORKER + " --kill-rank 1 --after 20 2>&1";
    const auto start = std::chrono::steady_clock::now();
    FILE* p = popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string out;
    std::array<char, 4096> buf;
    while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
    const int raw = pclose(p);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const int status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    EXPECT_NE(status, 0) << out;
    EXPECT_NE(status, 124) << "the surviving rank hung until the timeout:\n" << out;
    EXPECT_LT(seconds, 60.0) << out;
    // OpenMPI: "mpirun noticed that process rank 1 ... exited on signal 9 (Killed)."
    EXPECT_NE(out.find("rank 1"), std::string::npos) << out;
    EXPECT_NE(out.find("signal 9"), std::string::npos) << out;
    EXPECT_EQ(out.find("worker: done"), std::string::npos) << out;
}
#endif

}  // namespace
}  // namespace ebmkit
