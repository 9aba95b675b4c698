// Langevin and MALA on the GPU against the CPU reference: the same keys give the
// same trajectory step by step (to float tolerance), batch splits with chain offsets
// agree, and the sampler runs on device tensors.
#include <gtest/gtest.h>

#include "support.hpp"
#include "two_dimensional_energy.hpp"

namespace ebmkit {
namespace {

class LangevinGpu : public ::testing::Test {
protected:
    void SetUp() override {
        if (!cuda_available()) GTEST_SKIP() << "no CUDA device: the Langevin kernels need one";
    }
};

TEST_F(LangevinGpu, TrajectoryFollowsTheCpuStepByStep) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    Context gpu(Backend::Cuda, seed, Precision::Fp32), cpu(Backend::Cpu, seed);
    MlpEnergy model = test::random_mlp(rng, {37, 64, 10}, Activation::elu());
    const MlpEnergy dmodel = model.to(Device::Cuda);
    LangevinParams p;
    p.alpha = 0.05f;
    p.sigma = 0.01f;
    p.clamp = true;
    Tensor x = test::uniform_tensor(rng, {33, 37}, -1, 1);
    Tensor dx = x.to(Device::Cuda);
    for (std::uint32_t s = 0; s < 20; ++s) {
        langevin_step(gpu, dmodel, dx, p, s);
        langevin_step(cpu, model, x, p, s);
        ASSERT_LT(test::relative_error(dx.to_vector<float>(), x.to_vector<float>()), 1e-5) << "step " << s;
    }
}

TEST_F(LangevinGpu, ConditionalChainsFollowTheCpu) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    Context gpu(Backend::Cuda, seed, Precision::Fp32), cpu(Backend::Cpu, seed);
    MlpEnergy model = test::random_mlp(rng, {20, 32, 10}, Activation::silu());
    std::vector<std::int32_t> y(17);
    for (auto& v : y) v = static_cast<std::int32_t>(rng() % 10);
    const Tensor labels = Tensor::from(y, {17});
    LangevinParams p = LangevinParams::with_temperature(0.01f, 1.0f);
    Tensor x = test::uniform_tensor(rng, {17, 20}, -1, 1);
    Tensor dx = x.to(Device::Cuda);
    langevin_chain(gpu, model.to(Device::Cuda), dx, labels.to(Device::Cuda), p, 0, 10);
    langevin_chain(cpu, model, x, labels, p, 0, 10);
    EXPECT_LT(test::relative_error(dx.to_vector<float>(), x.to_vector<float>()), 1e-5);
}

TEST_F(LangevinGpu, MalaAcceptsLikeTheCpu) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    Context gpu(Backend::Cuda, seed, Precision::Fp32), cpu(Backend::Cpu, seed);
    MlpEnergy model = test::random_mlp(rng, {2, 16, 1}, Activation::softplus(), 2.0f);
    LangevinParams p = LangevinParams::with_temperature(0.3f, 1.0f);
    p.mala = true;
    Tensor x = test::uniform_tensor(rng, {512, 2}, -1, 1);
    Tensor dx = x.to(Device::Cuda);
    const LangevinStats g = langevin_chain(gpu, model.to(Device::Cuda), dx, p, 0, 10, true);
    const LangevinStats c = langevin_chain(cpu, model, x, p, 0, 10, true);
    // Decisions can differ only where log u is within rounding of the log ratio.
    EXPECT_NEAR(static_cast<double>(g.accepted), static_cast<double>(c.accepted), 3.0);
    EXPECT_LT(test::relative_error(dx.to_vector<float>(), x.to_vector<float>()), 1e-3);
    ASSERT_EQ(g.mean_energy.size(), 10u);
    EXPECT_NEAR(g.mean_energy.back(), c.mean_energy.back(), 1e-3 * (1 + std::abs(c.mean_energy.back())));
}

TEST_F(LangevinGpu, ReplaySamplerRunsOnTheDevice) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    MlpEnergy model = test::random_mlp(rng, {6, 16, 3}, Activation::silu());
    SamplerOptions o;
    o.buffer_size = 64;
    o.steps = 5;
    Context gpu(Backend::Cuda, seed, Precision::Fp32), cpu(Backend::Cpu, seed);
    LangevinSampler on_gpu(gpu, 6, o), on_cpu(cpu, 6, o);
    const Tensor a = on_gpu.sample(model.to(Device::Cuda), 8);
    const Tensor b = on_cpu.sample(model, 8);
    EXPECT_EQ(a.device(), Device::Cuda);
    EXPECT_LT(test::relative_error(a.to_vector<float>(), b.to_vector<float>()), 1e-5);
}

TEST_F(LangevinGpu, BatchSplitWithChainOffsetsGivesTheSameSamples) {
    auto rng = test::fresh_rng();
    Context gpu(Backend::Cuda, rng(), Precision::Fp32);
    const MlpEnergy model = test::random_mlp(rng, {5, 12, 3}, Activation::softplus()).to(Device::Cuda);
    LangevinParams p = LangevinParams::with_temperature(0.05f, 1.0f);
    const Tensor start = test::uniform_tensor(rng, {10, 5}, -1, 1);
    Tensor whole = start.to(Device::Cuda), head({4, 5}), tail({6, 5});
    copy(ConstTensorView(start.data<float>(), {4, 5}, DType::F32, Device::Host), head);
    copy(ConstTensorView(start.data<float>() + 20, {6, 5}, DType::F32, Device::Host), tail);
    Tensor dhead = head.to(Device::Cuda), dtail = tail.to(Device::Cuda);
    langevin_chain(gpu, model, whole, p, 3, 7);
    langevin_chain(gpu, model, dhead, p, 3, 7);
    p.first_chain = 4;
    langevin_chain(gpu, model, dtail, p, 3, 7);
    auto joined = dhead.to_vector<float>();
    const auto t = dtail.to_vector<float>();
    joined.insert(joined.end(), t.begin(), t.end());
    EXPECT_EQ(joined, whole.to_vector<float>());
}

class TwoDimensionalOnGpu : public test::TwoDimensionalEnergy {
protected:
    void SetUp() override {
        if (!cuda_available()) GTEST_SKIP() << "no CUDA device: the Langevin kernels need one";
        TwoDimensionalEnergy::SetUp();
    }
};

TEST_F(TwoDimensionalOnGpu, MalaReachesTheNormalisedDensity) {
    LangevinParams p = LangevinParams::with_temperature(0.4f, 1.0f);
    p.mala = true;
    EXPECT_LT(total_variation(Backend::Cuda, p, 200, 20), 0.045);
}

TEST_F(TwoDimensionalOnGpu, SmallStepLangevinReachesTheNormalisedDensity) {
    EXPECT_LT(total_variation(Backend::Cuda, LangevinParams::with_temperature(0.01f, 1.0f), 600, 20), 0.06);
}

}  // namespace
}  // namespace ebmkit
