// JEM on the GPU: an iteration stays on the device (after a warm-up no allocation, one
// statistics copy and its one wait, a snapshot iteration included), follows the CPU
// path's loss and gradient, and leaves everything as it was when a label is bad, through
// the fused (head as the kernel's epilogue, the iteration a replayed CUDA graph) and the
// unfused (head kernel between forward and backward) paths.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <utility>

#include "support.hpp"

namespace ebmkit {
namespace {

class JemGpu : public ::testing::Test {
protected:
    void SetUp() override {
        if (!cuda_available()) GTEST_SKIP() << "no CUDA device: the JEM kernels need one";
    }
};

JemTrainOptions small_options(bool class_conditional) {
    JemTrainOptions o;
    o.batch = 16;
    o.sampler.steps = 5;
    o.sampler.buffer_size = 60;  // a multiple of K = 10
    o.class_conditional = class_conditional;
    return o;
}

// Options under which GPU iterations follow the CPU's closely: short chains at a small
// step, and SGD (Adamax's sign-like first steps would amplify float noise).
JemTrainOptions following_options(bool class_conditional) {
    JemTrainOptions o;
    o.batch = 16;
    o.class_conditional = class_conditional;
    o.sampler.buffer_size = 64;
    o.sampler.steps = 5;
    o.sampler.step.alpha = 0.05f;
    o.optimizer.kind = OptimizerKind::Sgd;
    o.optimizer.lr = 0.05f;
    return o;
}

// A model, a batch of 16 rows and their labels in [0, 4), on the host.
struct FollowCase {
    MlpEnergy start;
    Tensor x, labels;
};
FollowCase follow_case(std::mt19937_64& rng) {
    MlpEnergy start = test::random_mlp(rng, {20, 32, 32, 4}, Activation::elu());
    Tensor x = test::uniform_tensor(rng, {16, 20}, -1, 1);
    std::vector<std::int32_t> y(16);
    for (auto& v : y) v = static_cast<std::int32_t>(rng() % 4);
    return {std::move(start), std::move(x), Tensor::from(y, {16})};
}

std::string name(MlpPath path, bool class_conditional) {
    return std::string(to_string(path)) + (class_conditional ? " class-conditional" : "");
}

TEST_F(JemGpu, AfterAWarmUpAnIterationAllocatesNothingAndWaitsOnce) {
    auto rng = test::fresh_rng();
    const MlpEnergy host_model = test::random_mlp(rng, {20, 32, 10}, Activation::elu());
    const Tensor x = test::uniform_tensor(rng, {16, 20}, -1, 1).to(Device::Cuda);
    std::vector<std::int32_t> y(16);
    for (auto& v : y) v = static_cast<std::int32_t>(rng() % 10);
    const Tensor labels = Tensor::from(y, {16}).to(Device::Cuda);
    for (MlpPath path : {MlpPath::Fused, MlpPath::Unfused}) {
        for (bool cc : {false, true}) {
            Context gpu(Backend::Cuda, rng());
            gpu.set_mlp_path(path);
            MlpEnergy model = host_model.to(Device::Cuda);
            JemTrainOptions o = small_options(cc);
            o.snapshot_every = 2;  // the third iteration takes a snapshot too
            JemTrainer trainer(gpu, model, o);
            // Warm-up: the workspace reaches its size, cuBLAS its handle, the sampler its round storage.
            trainer.step(x, labels);
            gpu.reset_transfers();
            for (int i = 0; i < 2; ++i) {
                const TransferCounts before = gpu.transfers();
                const JemStepStats s = trainer.step(x, labels);
                const TransferCounts t = gpu.transfers();
                EXPECT_TRUE(std::isfinite(s.loss)) << name(path, cc);
                EXPECT_EQ(t.allocations - before.allocations, 0) << name(path, cc) << ", iteration " << i + 2;
                EXPECT_LE(t.copies - before.copies, 1) << name(path, cc) << ", iteration " << i + 2;
                EXPECT_LE(t.synchronizations - before.synchronizations, 1) << name(path, cc) << ", iteration " << i + 2;
            }
            EXPECT_EQ(trainer.iterations(), 3) << name(path, cc);
        }
    }
}

TEST_F(JemGpu, LossAndGradientFollowTheCpu) {
    auto rng = test::fresh_rng();
    const MlpEnergy model = test::random_mlp(rng, {37, 64, 48, 10}, Activation::silu(), 1.5f);
    const Tensor x = test::uniform_tensor(rng, {33, 37}, -1, 1), samples = test::uniform_tensor(rng, {21, 37}, -1, 1);
    std::vector<std::int32_t> y(33);
    for (auto& v : y) v = static_cast<std::int32_t>(rng() % 10);
    const Tensor labels = Tensor::from(y, {33});
    JemTrainOptions o = small_options(false);
    o.classifier_weight = 0.8f;
    o.generative_weight = 1.2f;
    o.energy_l2 = 0.1f;
    Context cpu(Backend::Cpu, 3);
    MlpEnergy cpu_model = model.to(Device::Host), cpu_grad = model.zeros_like();
    JemTrainer on_cpu(cpu, cpu_model, o);
    const JemStepStats want = on_cpu.loss_and_gradient(x, labels, samples, cpu_grad);
    for (MlpPath path : {MlpPath::Fused, MlpPath::Unfused}) {
        Context gpu(Backend::Cuda, 3);
        gpu.set_mlp_path(path);
        MlpEnergy gpu_model = model.to(Device::Cuda), gpu_grad = gpu_model.zeros_like();
        JemTrainer on_gpu(gpu, gpu_model, o);
        const Tensor dx = x.to(Device::Cuda), dlabels = labels.to(Device::Cuda), dsamples = samples.to(Device::Cuda);
        const JemStepStats got = on_gpu.loss_and_gradient(dx, dlabels, dsamples, gpu_grad);
        const std::string what = to_string(path);
        EXPECT_NEAR(got.loss, want.loss, 1e-5 * (1 + std::abs(want.loss))) << what;
        EXPECT_NEAR(got.cross_entropy, want.cross_entropy, 1e-5 * (1 + want.cross_entropy)) << what;
        EXPECT_NEAR(got.energy_data, want.energy_data, 1e-5 * (1 + std::abs(want.energy_data))) << what;
        EXPECT_NEAR(got.energy_sample, want.energy_sample, 1e-5 * (1 + std::abs(want.energy_sample))) << what;
        EXPECT_EQ(got.accuracy, want.accuracy) << what;
        for (int l = 0; l < model.num_layers(); ++l) {
            EXPECT_LT(test::relative_error(gpu_grad.weight(l).to_vector<float>(), cpu_grad.weight(l).to_vector<float>()),
                      1e-4) << what << " weight " << l;
            EXPECT_LT(test::relative_error(gpu_grad.bias(l).to_vector<float>(), cpu_grad.bias(l).to_vector<float>()),
                      1e-4) << what << " bias " << l;
        }
    }
}

// A few JEM iterations (fused kernels, replay-buffer SGLD, plain and class-conditional)
// on the GPU follow the CPU reference from the same seed.
TEST_F(JemGpu, IterationsFollowTheCpu) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    const FollowCase f = follow_case(rng);
    const MlpEnergy& start = f.start;
    const Tensor &x = f.x, &labels = f.labels;
    for (bool conditional : {false, true}) {
        const JemTrainOptions o = following_options(conditional);
        Context gpu(Backend::Cuda, seed), cpu(Backend::Cpu, seed);
        MlpEnergy on_gpu = start.to(Device::Cuda), on_cpu = start.to(Device::Host);
        JemTrainer tg(gpu, on_gpu, o), tc(cpu, on_cpu, o);
        for (int i = 0; i < 3; ++i) {
            const Tensor dx = x.to(Device::Cuda), dlabels = labels.to(Device::Cuda);
            const JemStepStats sg = tg.step(dx, dlabels);
            const JemStepStats sc = tc.step(x, labels);
            EXPECT_NEAR(sg.loss, sc.loss, 1e-4 * (1 + std::abs(sc.loss))) << "iteration " << i;
        }
        EXPECT_EQ(tg.sampler().rounds(), 3u);
        EXPECT_LT(test::relative_error(tg.sampler().buffer()->samples().to_vector<float>(),
                                       tc.sampler().buffer()->samples().to_vector<float>()),
                  1e-3) << (conditional ? "class-conditional" : "");
        for (int l = 0; l < start.num_layers(); ++l) {
            EXPECT_LT(test::relative_error(on_gpu.weight(l).to_vector<float>(), on_cpu.weight(l).to_vector<float>()), 1e-4)
                << "layer " << l << (conditional ? " class-conditional" : "");
        }
    }
}

TEST_F(JemGpu, ABadLabelChangesNothing) {
    auto rng = test::fresh_rng();
    const MlpEnergy host_model = test::random_mlp(rng, {20, 32, 10}, Activation::elu());
    const Tensor x = test::uniform_tensor(rng, {16, 20}, -1, 1).to(Device::Cuda);
    std::vector<std::int32_t> y(16, 3);
    const Tensor good = Tensor::from(y, {16}).to(Device::Cuda);
    y[11] = 10;
    const Tensor bad = Tensor::from(y, {16}).to(Device::Cuda);
    for (MlpPath path : {MlpPath::Fused, MlpPath::Unfused}) {
        Context gpu(Backend::Cuda, 4);
        gpu.set_mlp_path(path);
        MlpEnergy model = host_model.to(Device::Cuda);
        JemTrainer trainer(gpu, model, small_options(false));
        trainer.step(x, good);
        const auto weights = model.weight(0).to_vector<float>();
        const auto buffer = trainer.sampler().buffer()->samples().to_vector<float>();
        try {
            trainer.step(x, bad);
            ADD_FAILURE() << "a label of 10 with K = 10 was taken";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("labels[11] = 10"), std::string::npos) << e.what();
        }
        EXPECT_EQ(model.weight(0).to_vector<float>(), weights) << to_string(path);
        EXPECT_EQ(trainer.sampler().buffer()->samples().to_vector<float>(), buffer) << to_string(path);
        EXPECT_EQ(trainer.sampler().rounds(), 1u);
        EXPECT_EQ(trainer.iterations(), 1);
        EXPECT_EQ(trainer.optimizer().steps(), 1);
    }
}

// The guard's verdict is computed on the device with the batch sums, and a replayed
// iteration's store and optimizer step wait for it there: a planted NaN met by a replay
// rolls back exactly as on the CPU, and the replays after it go on from the restored
// counters.
TEST_F(JemGpu, AReplayedIterationRollsBackOnTheDevicesVerdictAsTheCpuDoes) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    const FollowCase f = follow_case(rng);
    const MlpEnergy& start = f.start;
    const Tensor &x = f.x, &labels = f.labels;
    const Tensor dx = x.to(Device::Cuda), dlabels = labels.to(Device::Cuda);
    const JemTrainOptions o = following_options(false);
    Context gpu(Backend::Cuda, seed), cpu(Backend::Cpu, seed);
    gpu.set_mlp_path(MlpPath::Fused);
    MlpEnergy on_gpu = start.to(Device::Cuda), on_cpu = start.to(Device::Host);
    JemTrainer tg(gpu, on_gpu, o), tc(cpu, on_cpu, o);
    for (int i = 0; i < 3; ++i) {  // a warm-up, the recording, a replay
        tg.step(dx, dlabels);
        tc.step(x, labels);
    }
    std::vector<float> w = on_cpu.weight(1).to_vector<float>();
    w[0] = std::numeric_limits<float>::quiet_NaN();
    on_cpu.weight(1).copy_from(Tensor::from(w, on_cpu.weight(1).shape()));
    on_gpu.weight(1).copy_from(Tensor::from(w, on_gpu.weight(1).shape()));
    EXPECT_TRUE(tc.step(x, labels).rolled_back);
    EXPECT_TRUE(tg.step(dx, dlabels).rolled_back);
    EXPECT_EQ(tg.sampler().rounds(), tc.sampler().rounds());
    EXPECT_EQ(tg.optimizer().steps(), 3);
    EXPECT_EQ(tg.events().size(), 1u);
    for (int i = 0; i < 3; ++i) {
        const JemStepStats sg = tg.step(dx, dlabels), sc = tc.step(x, labels);
        EXPECT_FALSE(sg.rolled_back) << "iteration " << i;
        EXPECT_NEAR(sg.loss, sc.loss, 1e-4 * (1 + std::abs(sc.loss))) << "iteration " << i;
    }
    EXPECT_EQ(tg.optimizer().steps(), 6);
    EXPECT_EQ(tg.sampler().rounds(), tc.sampler().rounds());
    for (int l = 0; l < start.num_layers(); ++l) {
        EXPECT_LT(test::relative_error(on_gpu.weight(l).to_vector<float>(), on_cpu.weight(l).to_vector<float>()), 1e-4)
            << "layer " << l;
    }
    EXPECT_LT(test::relative_error(tg.sampler().buffer()->samples().to_vector<float>(),
                                   tc.sampler().buffer()->samples().to_vector<float>()),
              1e-3);
}

}  // namespace
}  // namespace ebmkit
