// RbmTrainer on the GPU: two epochs follow the CPU path.
#include <gtest/gtest.h>

#include <string>

#include <cmath>
#include <utility>

#include "support.hpp"

namespace ebmkit {
namespace {

class RbmTrainerGpu : public ::testing::Test {
protected:
    void SetUp() override {
        if (!cuda_available()) GTEST_SKIP() << "no CUDA device: the RBM trainer's kernels need one";
    }
};

// PCD, centred PCD and PT: two epochs on each backend, the same RBM to float rounding.
TEST_F(RbmTrainerGpu, TrainerOnTheGpuFollowsTheCpu) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    Rbm initial = test::random_rbm(rng, 20, 10, 0.1f);
    const Tensor data = test::random_bits(rng, 64, 20);
    for (const char* recipe : {"PCD", "centred PCD", "PT"}) {
        RbmTrainOptions o;
        o.batch = 16;
        o.centered = recipe == std::string("centred PCD");
        o.tempering_replicas = recipe == std::string("PT") ? 3 : 0;
        Context gpu(Backend::Cuda, seed, Precision::Fp32), cpu(Backend::Cpu, seed);
        Rbm on_gpu = initial.to(Device::Cuda), on_cpu = initial.to(Device::Host);
        RbmTrainer tg(gpu, on_gpu, o), tc(cpu, on_cpu, o);
        for (int e = 0; e < 2; ++e) {
            tg.train_epoch(data);
            tc.train_epoch(data);
        }
        EXPECT_LT(test::relative_error(on_gpu.w().to_vector<float>(), on_cpu.w().to_vector<float>()), 1e-4) << recipe;
        EXPECT_LT(test::relative_error(on_gpu.b().to_vector<float>(), on_cpu.b().to_vector<float>()), 1e-4) << recipe;
        EXPECT_LT(test::relative_error(on_gpu.c().to_vector<float>(), on_cpu.c().to_vector<float>()), 1e-4) << recipe;
    }
}

}  // namespace
}  // namespace ebmkit
