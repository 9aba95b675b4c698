// The sampler on the GPU: the replay buffer's fill, draws, stores (rows sharing a slot
// included) and class draws bit for bit as on the CPU, and a sampling round on device
// tensors without host copies.
#include <gtest/gtest.h>

#include "support.hpp"

namespace ebmkit {
namespace {

class SamplerGpu : public ::testing::Test {
protected:
    void SetUp() override {
        if (!cuda_available()) GTEST_SKIP() << "no CUDA device: the sampler kernels need one";
    }
};

TEST_F(SamplerGpu, ReplayBufferFollowsTheCpuBitForBit) {
    auto rng = test::fresh_rng();
    for (std::int64_t classes : {1, 4}) {
        Context gpu(Backend::Cuda, 21), cpu(Backend::Cpu, 21);
        ReplayBuffer on_gpu(gpu, 40, 7, -1.0f, 1.0f, classes), on_cpu(cpu, 40, 7, -1.0f, 1.0f, classes);
        ASSERT_EQ(on_gpu.samples().device(), Device::Cuda);
        EXPECT_EQ(on_gpu.samples().to_vector<float>(), on_cpu.samples().to_vector<float>());
        std::vector<std::int32_t> c(300);
        for (auto& v : c) v = static_cast<std::int32_t>(rng() % classes);
        const Tensor row_classes = Tensor::from(c, {300});
        const Tensor device_classes = row_classes.to(Device::Cuda);
        for (std::uint32_t round = 0; round < 3; ++round) {
            Tensor gpu_slots, cpu_slots;
            const Tensor a = on_gpu.draw(300, 0.2f, round, gpu_slots, classes > 1 ? ConstTensorView(device_classes) : ConstTensorView());
            const Tensor b = on_cpu.draw(300, 0.2f, round, cpu_slots, classes > 1 ? ConstTensorView(row_classes) : ConstTensorView());
            ASSERT_EQ(gpu_slots.to_vector<std::int32_t>(), cpu_slots.to_vector<std::int32_t>());
            ASSERT_EQ(a.to_vector<float>(), b.to_vector<float>());
            const Tensor marks = test::uniform_tensor(rng, {300, 7}, -1, 1);
            const Tensor device_marks = marks.to(Device::Cuda);
            on_gpu.store(gpu_slots, device_marks, round, classes > 1 ? ConstTensorView(device_classes) : ConstTensorView());
            on_cpu.store(cpu_slots, marks, round, classes > 1 ? ConstTensorView(row_classes) : ConstTensorView());
            ASSERT_EQ(on_gpu.samples().to_vector<float>(), on_cpu.samples().to_vector<float>()) << "round " << round;
        }
    }
}

// A data-parallel shard (rank 1 of 3) on the GPU draws what it draws on the CPU: its
// part of the replay buffer, its slots, restarts and classes keyed by global rows.
TEST_F(SamplerGpu, AShardFollowsTheCpuBitForBit) {
    auto rng = test::fresh_rng();
    MlpEnergy model = test::random_mlp(rng, {7, 16, 4}, Activation::silu());
    SamplerOptions o;
    o.steps = 2;
    o.buffer_size = 48;
    o.classes = 4;
    o.shard = 1;
    o.shards = 3;
    Context gpu(Backend::Cuda, 5), cpu(Backend::Cpu, 5);
    LangevinSampler on_gpu(gpu, 7, o), on_cpu(cpu, 7, o);
    EXPECT_EQ(on_gpu.buffer()->samples().to_vector<float>(), on_cpu.buffer()->samples().to_vector<float>());
    const MlpEnergy device_model = model.to(Device::Cuda);
    for (int round = 0; round < 3; ++round) {
        SampleRound a = on_gpu.draw_round(device_model, 20), b = on_cpu.draw_round(model, 20);
        ASSERT_EQ(a.labels.to_vector<std::int32_t>(), b.labels.to_vector<std::int32_t>());
        ASSERT_EQ(a.slots.to_vector<std::int32_t>(), b.slots.to_vector<std::int32_t>());
        EXPECT_LT(test::relative_error(a.samples.to_vector<float>(), b.samples.to_vector<float>()), 1e-5);
        on_gpu.keep_round(a);
        on_cpu.keep_round(b);
    }
}

TEST_F(SamplerGpu, ARoundStaysOnTheDevice) {
    auto rng = test::fresh_rng();
    const MlpEnergy model = test::random_mlp(rng, {6, 16, 3}, Activation::silu()).to(Device::Cuda);
    for (ChainStart start : {ChainStart::ReplayBuffer, ChainStart::Uniform, ChainStart::Persistent}) {
        SamplerOptions o;
        o.buffer_size = 63;
        o.classes = 3;
        o.steps = 5;
        o.start = start;
        Context gpu(Backend::Cuda, 5), cpu(Backend::Cpu, 5);
        LangevinSampler on_gpu(gpu, 6, o), on_cpu(cpu, 6, o);
        on_gpu.sample(model, 8);  // warm-up
        on_cpu.sample(model.to(Device::Host), 8);
        gpu.reset_transfers();
        const Tensor a = on_gpu.sample(model, 8);
        EXPECT_EQ(gpu.transfers().copies, 0);
        EXPECT_EQ(gpu.transfers().synchronizations, 0);
        const Tensor b = on_cpu.sample(model.to(Device::Host), 8);
        EXPECT_EQ(a.device(), Device::Cuda);
        EXPECT_LT(test::relative_error(a.to_vector<float>(), b.to_vector<float>()), 1e-5);
    }
}

}  // namespace
}  // namespace ebmkit
