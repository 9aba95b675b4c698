// RbmTrainer on the GPU: two epochs follow the CPU path; a PCD update allocates nothing
// and never waits for the device.
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

// A PCD update (the chains' sweeps, the gradient, the momentum step) after a warm-up:
// no allocation, no host wait, no copy, as the public building blocks and inside an
// epoch (whose cost beyond its updates, the upload and the divergence check, does not
// grow with the batch count).
TEST_F(RbmTrainerGpu, APcdUpdateAllocatesNothingAndNeverWaits) {
    auto rng = test::fresh_rng();
    const Rbm initial = test::random_rbm(rng, 20, 10, 0.1f);
    Context gpu(Backend::Cuda, rng());
    {
        Rbm rbm = initial.to(Device::Cuda), grad(20, 10, Device::Cuda);
        const Tensor data = test::random_bits(rng, 16, 20).to(Device::Cuda);
        Tensor chains = test::random_bits(rng, 16, 20).to(Device::Cuda);
        const Rbm &read_rbm = rbm, &read_grad = grad;
        Optimizer sgd(read_rbm.parameters(), {OptimizerKind::Sgd, 0.01f});
        auto update = [&](std::uint32_t step) {
            cd_gradient(gpu, rbm, data, chains, grad, Steps{step, 1});
            sgd.step(gpu, rbm.parameters(), read_grad.parameters());
        };
        update(0);  // warm-up
        gpu.reset_transfers();
        for (std::uint32_t step = 1; step < 4; ++step) update(step);
        const TransferCounts t = gpu.transfers();
        EXPECT_EQ(t.allocations, 0);
        EXPECT_EQ(t.synchronizations, 0);
        EXPECT_EQ(t.copies, 0);
    }
    for (bool centered : {false, true}) {
        RbmTrainOptions o;
        o.batch = 16;
        o.centered = centered;
        Rbm rbm = initial.to(Device::Cuda);
        RbmTrainer trainer(gpu, rbm, o);
        const Tensor four = test::random_bits(rng, 64, 20), eight = test::random_bits(rng, 128, 20);
        trainer.train_epoch(four);  // warm-up
        gpu.reset_transfers();
        trainer.train_epoch(four);
        const TransferCounts a = gpu.transfers();
        gpu.reset_transfers();
        trainer.train_epoch(eight);
        const TransferCounts b = gpu.transfers();
        EXPECT_EQ(b.allocations, a.allocations) << "centred " << centered;
        EXPECT_EQ(b.synchronizations, a.synchronizations) << "centred " << centered;
        EXPECT_EQ(b.copies, a.copies) << "centred " << centered;
    }
}

}  // namespace
}  // namespace ebmkit
