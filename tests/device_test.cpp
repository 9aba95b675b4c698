// Device memory, the Context's CUDA resources, the device side of the argument
// contract and JEM training steps on the GPU (the optimizer kernels:
// tests/optim_gpu_test.cpp). Each test skips, saying why, where no device is present.
#include <gtest/gtest.h>

#include <cmath>

#include "support.hpp"

namespace ebmkit {
namespace {

TEST(Tensor, RoundTripsThroughTheDevice) {
    if (!cuda_available()) GTEST_SKIP() << "no CUDA device: host<->device copies need one";
    Tensor a = Tensor::from({1, 2, 3, 4, 5}, {5});
    Tensor d = a.to(Device::Cuda);
    EXPECT_EQ(d.device(), Device::Cuda);
    EXPECT_EQ(d.to_vector<float>(), a.to_vector<float>());
    Tensor z = Tensor::zeros({5}, DType::F32, Device::Cuda);
    z.copy_from(d);
    EXPECT_EQ(z.to(Device::Host).to_vector<float>(), a.to_vector<float>());
}

TEST(Context, CudaResourcesAreCreatedOnDemand) {
    if (!cuda_available()) GTEST_SKIP() << "no CUDA device: stream, cuBLAS handle and workspace need one";
    Context ctx(Backend::Cuda);
    EXPECT_NE(ctx.stream(), nullptr);
    EXPECT_EQ(ctx.stream(), ctx.stream());
    EXPECT_NE(ctx.cublas(), nullptr);
    void* small = ctx.workspace(1024);
    EXPECT_NE(small, nullptr);
    EXPECT_EQ(ctx.workspace(512), small);  // never shrinks
    EXPECT_NE(ctx.workspace(1 << 20), nullptr);
    ctx.synchronize();
}

TEST(DeviceContract, TensorOnTheWrongDeviceIsNamedAndNothingIsWritten) {
    if (!cuda_available()) GTEST_SKIP() << "no CUDA device: cannot build a device tensor to mismatch";
    Context gpu(Backend::Cuda);
    Tensor x = test::filled({2, 3}, 0.0f), out = test::filled({2}, 0.0f, Device::Cuda);
    const auto before = out.to_vector<float>();
    try {
        logsumexp(gpu, x, out);
        ADD_FAILURE() << "a host tensor was accepted by a cuda context";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("x must be"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("on cuda, got [2, 3] float32 on host"), std::string::npos) << e.what();
    }
    EXPECT_EQ(out.to_vector<float>(), before);
}

// A few JEM iterations (fused kernels, replay-buffer SGLD, plain and class-conditional)
// on the GPU follow the CPU reference from the same seed.
TEST(JemGpu, IterationsFollowTheCpu) {
    if (!cuda_available()) GTEST_SKIP() << "no CUDA device: JEM on the GPU needs one";
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    const MlpEnergy start = test::random_mlp(rng, {20, 32, 32, 4}, Activation::elu());
    const Tensor x = test::uniform_tensor(rng, {16, 20}, -1, 1);
    std::vector<std::int32_t> y(16);
    for (auto& v : y) v = static_cast<std::int32_t>(rng() % 4);
    const Tensor labels = Tensor::from(y, {16});
    for (bool conditional : {false, true}) {
        JemTrainOptions o;
        o.batch = 16;
        o.class_conditional = conditional;
        o.sampler.buffer_size = 64;
        o.sampler.steps = 5;
        o.sampler.step.alpha = 0.05f;
        o.optimizer.kind = OptimizerKind::Sgd;  // Adamax's sign-like first steps would amplify float noise
        o.optimizer.lr = 0.05f;
        Context gpu(Backend::Cuda, seed), cpu(Backend::Cpu, seed);
        MlpEnergy on_gpu = start.to(Device::Cuda), on_cpu = start.to(Device::Host);
        JemTrainer tg(gpu, on_gpu, o), tc(cpu, on_cpu, o);
        for (int i = 0; i < 3; ++i) {
            const Tensor dx = x.to(Device::Cuda), dlabels = labels.to(Device::Cuda);
            const JemStepStats sg = tg.step(dx, dlabels);
            const JemStepStats sc = tc.step(x, labels);
            EXPECT_NEAR(sg.loss, sc.loss, 1e-4 * (1 + std::abs(sc.loss))) << "iteration " << i;
        }
        for (int l = 0; l < start.num_layers(); ++l) {
            EXPECT_LT(test::relative_error(on_gpu.weight(l).to_vector<float>(), on_cpu.weight(l).to_vector<float>()), 1e-4)
                << "layer " << l << (conditional ? " class-conditional" : "");
        }
    }
}

}  // namespace
}  // namespace ebmkit
