// Communicator::world on two ranks (run as: mpirun -np 2 communicator_mpi_test; every
// rank runs every case and both must pass): rank and size, sums of several views in
// place against their closed form, one collective for the packed views, and a
// disagreement in sizes thrown on every rank, per call or agreed once.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ebmkit/communicator.hpp"
#include "ebmkit/error.hpp"

namespace ebmkit {
namespace {

Context& cpu() {
    static Context ctx(Backend::Cpu);
    return ctx;
}
const Communicator& world() {
    static const Communicator comm = Communicator::world(cpu());
    return comm;
}

TEST(CommunicatorMpi, TwoRanks) {
    EXPECT_EQ(world().size(), 2);
    EXPECT_TRUE(world().rank() == 0 || world().rank() == 1);
    world().barrier();
}

// Rank r holds x_i = (r + 1) * (i + 1) (small integers: float sums are exact), so every
// rank ends with 3 (i + 1); an empty view in the list changes nothing.
TEST(CommunicatorMpi, SumsEveryViewInPlace) {
    const float r = static_cast<float>(world().rank() + 1);
    for (const std::vector<std::int64_t>& sizes : {std::vector<std::int64_t>{5}, {3, 0, 1000, 1}}) {
        std::vector<Tensor> tensors;
        std::vector<TensorView> views;
        for (std::int64_t n : sizes) {
            std::vector<float> x(static_cast<std::size_t>(n));
            for (std::int64_t i = 0; i < n; ++i) x[i] = r * static_cast<float>(i + 1);
            tensors.push_back(Tensor::from(x, {n}));
        }
        for (Tensor& t : tensors) views.push_back(t);
        world().allreduce_sum(views);
        for (const Tensor& t : tensors) {
            const std::vector<float> got = t.to_vector<float>();
            for (std::size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], 3.0f * static_cast<float>(i + 1)) << i;
        }
    }
}

TEST(CommunicatorMpi, DifferentSizesThrowOnEveryRank) {
    Tensor t = Tensor::zeros({world().rank() == 0 ? 3 : 4});
    try {
        world().allreduce_sum({t});
        FAIL() << "ranks passing different sizes must throw";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("different element counts"), std::string::npos) << e.what();
    }
    // The communicator still works after the refusal.
    Tensor one = Tensor::from({1.0f}, {1});
    world().allreduce_sum({one});
    EXPECT_EQ(one.to_vector<float>()[0], 2.0f);
}

// A count agreed once: a disagreement throws on every rank at agree_count; an agreed
// count's reductions (which skip the per-call size check) still sum.
TEST(CommunicatorMpi, CountsAgreedOnceStillSum) {
    try {
        world().agree_count(world().rank() == 0 ? 9 : 10);
        FAIL() << "ranks agreeing on different counts must throw";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("agree_count"), std::string::npos) << e.what();
    }
    world().agree_count(7);
    for (int round = 0; round < 3; ++round) {
        Tensor a = Tensor::from({1, 2, 3}, {3}), b = Tensor::from({4, 5, 6, 7}, {4});
        world().allreduce_sum({a, b});
        EXPECT_EQ(a.to_vector<float>(), (std::vector<float>{2, 4, 6}));
        EXPECT_EQ(b.to_vector<float>(), (std::vector<float>{8, 10, 12, 14}));
    }
}

TEST(CommunicatorMpi, WorldOnTheCpuBackendIsOnTheHost) {
    EXPECT_TRUE(Communicator::mpi_built());
    Tensor ints({2}, DType::I32);
    EXPECT_THROW(world().allreduce_sum({ints}), Error);
}

}  // namespace
}  // namespace ebmkit
