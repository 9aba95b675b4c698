// Langevin and MALA on the GPU against the CPU reference, through the fused chain
// kernel and the step-by-step path: the same keys give the same trajectory step by
// step (to float tolerance) in every precision, batch splits with chain offsets and
// different tile heights agree bit for bit. (The sampler on the device: tests/sampler_gpu_test.cpp.)
#include <gtest/gtest.h>

#include <cmath>
#include <utility>

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
    MlpEnergy model = test::random_mlp(rng, {37, 64, 10}, Activation::elu());
    const MlpEnergy dmodel = model.to(Device::Cuda);
    LangevinParams p;
    p.alpha = 0.05f;
    p.sigma = 0.01f;
    p.clamp = true;
    for (MlpPath path : {MlpPath::Fused, MlpPath::Unfused}) {
        Context gpu(Backend::Cuda, seed, Precision::Fp32), cpu(Backend::Cpu, seed);
        gpu.set_mlp_path(path);
        EXPECT_EQ(uses_fused_chain(gpu, dmodel, 33, p), path == MlpPath::Fused);
        Tensor x = test::uniform_tensor(rng, {33, 37}, -1, 1);
        Tensor dx = x.to(Device::Cuda);
        for (std::uint32_t s = 0; s < 20; ++s) {
            langevin_step(gpu, dmodel, dx, p, s);
            langevin_step(cpu, model, x, p, s);
            ASSERT_LT(test::relative_error(dx.to_vector<float>(), x.to_vector<float>()), 1e-5)
                << to_string(path) << " step " << s;
        }
    }
}

// A whole chain in one fused launch against the CPU, on the benchmark networks, in
// every precision (tolerances as docs/ARCHITECTURE.md §7's, x moving by alpha times the gradient
// error each step), with the per-step energy trace.
TEST_F(LangevinGpu, FusedChainFollowsTheCpuInEveryPrecision) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    for (const auto& widths : std::vector<std::vector<std::int64_t>>{{784, 256, 256, 10}, {64, 512, 512, 512, 10}}) {
        MlpEnergy model = test::random_mlp(rng, widths, Activation::elu());
        const MlpEnergy dmodel = model.to(Device::Cuda);
        LangevinParams p;
        p.alpha = 0.05f;
        p.sigma = 0.01f;
        p.clamp = true;
        const Tensor start = test::uniform_tensor(rng, {45, widths.front()}, -1, 1);
        Context cpu(Backend::Cpu, seed);
        Tensor x = start.to(Device::Host);
        const LangevinStats want = langevin_chain(cpu, model, x, p, Steps{5, 8}, true);
        for (auto [precision, limit] : {std::pair{Precision::Fp32, 1e-5}, {Precision::Tf32, 3e-3}, {Precision::Bf16, 2e-2}}) {
            Context gpu(Backend::Cuda, seed, precision);
            gpu.set_mlp_path(MlpPath::Fused);
            ASSERT_TRUE(uses_fused_chain(gpu, dmodel, 45, p));
            Tensor dx = start.to(Device::Cuda);
            const LangevinStats got = langevin_chain(gpu, dmodel, dx, p, Steps{5, 8}, true);
            EXPECT_LT(test::relative_error(dx.to_vector<float>(), x.to_vector<float>()), limit) << to_string(precision);
            ASSERT_EQ(got.mean_energy.size(), 8u);
            for (std::size_t s = 0; s < 8; ++s) {
                EXPECT_NEAR(got.mean_energy[s], want.mean_energy[s], 10 * limit * (1 + std::abs(want.mean_energy[s])))
                    << to_string(precision) << " step " << s;
            }
            EXPECT_EQ(got.accepted, 45 * 8);
        }
    }
}

// The fused chain is taken only when asked for (Auto takes the step-by-step path,
// measured faster on an H200), and then not for MALA or gradient clipping.
TEST_F(LangevinGpu, FusedChainIsTakenOnlyWhereItApplies) {
    Context gpu(Backend::Cuda);
    const MlpEnergy model({784, 256, 256, 10}, Activation::elu(), Device::Cuda);
    LangevinParams p;
    EXPECT_FALSE(uses_fused_chain(gpu, model, 4096, p));
    gpu.set_mlp_path(MlpPath::Fused);
    EXPECT_TRUE(uses_fused_chain(gpu, model, 4096, p));
    p.grad_clip = 1.0f;
    EXPECT_FALSE(uses_fused_chain(gpu, model, 4096, p));
    p.grad_clip = 0.0f;
    p.mala = true;
    EXPECT_FALSE(uses_fused_chain(gpu, model, 4096, p));
    EXPECT_FALSE(uses_fused_chain(gpu, MlpEnergy({4000, 4000, 1}, Activation::elu(), Device::Cuda), 16, LangevinParams{}));
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
    const Tensor dlabels = labels.to(Device::Cuda);
    langevin_chain(gpu, model.to(Device::Cuda), dlabels, dx, p, Steps{0, 10});
    langevin_chain(cpu, model, labels, x, p, Steps{0, 10});
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
    const LangevinStats g = langevin_chain(gpu, model.to(Device::Cuda), dx, p, Steps{0, 10}, true);
    const LangevinStats c = langevin_chain(cpu, model, x, p, Steps{0, 10}, true);
    // Decisions can differ only where log u is within rounding of the log ratio.
    EXPECT_NEAR(static_cast<double>(g.accepted), static_cast<double>(c.accepted), 3.0);
    EXPECT_LT(test::relative_error(dx.to_vector<float>(), x.to_vector<float>()), 1e-3);
    ASSERT_EQ(g.mean_energy.size(), 10u);
    EXPECT_NEAR(g.mean_energy.back(), c.mean_energy.back(), 1e-3 * (1 + std::abs(c.mean_energy.back())));
}

// Chains start [N, D] run whole and split after `head` rows (the tail with
// first_chain = head): the same samples bit for bit.
void expect_split_matches_whole(Context& gpu, const MlpEnergy& model, LangevinParams p, const Tensor& start,
                                std::int64_t head, std::uint32_t first_step, std::uint32_t steps) {
    const std::int64_t n = start.dim(0), d = start.dim(1);
    Tensor whole = start.to(Device::Cuda), first({head, d}), rest({n - head, d});
    copy(ConstTensorView(start.data<float>(), {head, d}, DType::F32, Device::Host), first);
    copy(ConstTensorView(start.data<float>() + head * d, {n - head, d}, DType::F32, Device::Host), rest);
    Tensor dfirst = first.to(Device::Cuda), drest = rest.to(Device::Cuda);
    langevin_chain(gpu, model, whole, p, Steps{first_step, steps});
    langevin_chain(gpu, model, dfirst, p, Steps{first_step, steps});
    p.first_chain = static_cast<std::uint32_t>(head);
    langevin_chain(gpu, model, drest, p, Steps{first_step, steps});
    auto joined = dfirst.to_vector<float>();
    const auto t = drest.to_vector<float>();
    joined.insert(joined.end(), t.begin(), t.end());
    EXPECT_EQ(joined, whole.to_vector<float>());
}

TEST_F(LangevinGpu, BatchSplitWithChainOffsetsGivesTheSameSamples) {
    auto rng = test::fresh_rng();
    Context gpu(Backend::Cuda, rng(), Precision::Fp32);
    const MlpEnergy model = test::random_mlp(rng, {5, 12, 3}, Activation::softplus()).to(Device::Cuda);
    expect_split_matches_whole(gpu, model, LangevinParams::with_temperature(0.05f, 1.0f),
                               test::uniform_tensor(rng, {10, 5}, -1, 1), 4, 3, 7);
}

// Chains that take the step-by-step path run as a CUDA graph launched once per step
// (the unfused MLP path here, as for a model too large for the fused chain).
TEST_F(LangevinGpu, GraphedStepsFollowTheCpu) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    MlpEnergy model = test::random_mlp(rng, {30, 50, 50, 7}, Activation::softplus());
    LangevinParams p;
    p.alpha = 0.05f;
    p.sigma = 0.02f;
    p.clamp = true;
    const Tensor start = test::uniform_tensor(rng, {70, 30}, -1, 1);
    Context gpu(Backend::Cuda, seed, Precision::Fp32), cpu(Backend::Cpu, seed);
    gpu.set_mlp_path(MlpPath::Unfused);
    Tensor x = start.to(Device::Host), dx = start.to(Device::Cuda);
    const LangevinStats stats = langevin_chain(gpu, model.to(Device::Cuda), dx, p, Steps{11, 15});
    langevin_chain(cpu, model, x, p, Steps{11, 15});
    EXPECT_LT(test::relative_error(dx.to_vector<float>(), x.to_vector<float>()), 1e-5);
    EXPECT_EQ(stats.accepted, 70 * 15);
}

// On an H100, 4300 chains run in 32-chain tiles and 100 in 16-chain tiles: the same chains.
TEST_F(LangevinGpu, TileHeightDoesNotChangeTheChains) {
    auto rng = test::fresh_rng();
    Context gpu(Backend::Cuda, rng(), Precision::Fp32);
    gpu.set_mlp_path(MlpPath::Fused);  // the fused chain's tiles (Auto takes the step-by-step path)
    const MlpEnergy model = test::random_mlp(rng, {9, 40, 4}, Activation::tanh()).to(Device::Cuda);
    LangevinParams p = LangevinParams::with_temperature(0.05f, 1.0f);
    p.clamp = true;
    expect_split_matches_whole(gpu, model, p, test::uniform_tensor(rng, {4300, 9}, -1, 1), 100, 0, 12);
}

// JEM's model at its batch of 64: the cluster plan (on an H100, clusters of 8 blocks
// sharing out each product's columns) gives the row tiles' chains and trace bit for bit.
TEST_F(LangevinGpu, ClusterPlanGivesTheRowTileChains) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    const MlpEnergy model = test::random_mlp(rng, {784, 256, 256, 10}, Activation::elu()).to(Device::Cuda);
    LangevinParams p;
    p.alpha = 0.05f;
    p.sigma = 0.01f;
    p.clamp = true;
    const Tensor start = test::uniform_tensor(rng, {64, 784}, -1, 1).to(Device::Cuda);
    std::vector<std::vector<float>> x;
    std::vector<std::vector<double>> trace;
    for (TilePlan plan : {TilePlan::RowTiles, TilePlan::Clusters}) {
        Context gpu(Backend::Cuda, seed, Precision::Fp32);
        gpu.set_mlp_path(MlpPath::Fused);
        gpu.set_tile_plan(plan);
        Tensor chains = start.clone();
        trace.push_back(langevin_chain(gpu, model, chains, p, Steps{3, 20}, true).mean_energy);
        x.push_back(chains.to_vector<float>());
    }
    EXPECT_EQ(x[0], x[1]);
    EXPECT_EQ(trace[0], trace[1]);
}

// The grid plan (TilePlan::Grid, a cooperative launch of a block per multiprocessor,
// each product's inner dimension split across blocks): JEM's chain at batch 64, labelled
// and not, against the CPU twin to FP32 rounding; a second run gives the same bits (the
// partial sums meet in a fixed order); the workspace grows once, then no allocation.
TEST_F(LangevinGpu, GridPlanGivesTheCpuChains) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    const MlpEnergy host_model = test::random_mlp(rng, {784, 256, 256, 10}, Activation::elu());
    const MlpEnergy model = host_model.to(Device::Cuda);
    LangevinParams p;
    p.alpha = 0.05f;
    p.sigma = 0.01f;
    p.clamp = true;
    const Tensor start = test::uniform_tensor(rng, {64, 784}, -1, 1);
    std::vector<std::int32_t> y(64);
    for (auto& v : y) v = static_cast<std::int32_t>(rng() % 10);
    const Tensor host_labels = Tensor::from(y, {64}), labels = host_labels.to(Device::Cuda);
    Context gpu(Backend::Cuda, seed, Precision::Fp32);
    gpu.set_mlp_path(MlpPath::Fused);
    gpu.set_tile_plan(TilePlan::Grid);
    Context cpu(Backend::Cpu, seed);
    for (bool labelled : {false, true}) {
        std::vector<std::vector<float>> runs;
        for (int run = 0; run < 2; ++run) {
            Tensor chains = start.to(Device::Cuda);
            const std::int64_t before = gpu.transfers().allocations;
            if (labelled) langevin_chain(gpu, model, labels, chains, p, Steps{3, 20});
            else langevin_chain(gpu, model, chains, p, Steps{3, 20});
            if (run == 1) EXPECT_EQ(gpu.transfers().allocations, before) << "the workspace is kept";
            runs.push_back(chains.to_vector<float>());
        }
        EXPECT_EQ(runs[0], runs[1]) << labelled;
        Tensor ref = start.clone();
        if (labelled) langevin_chain(cpu, host_model, host_labels, ref, p, Steps{3, 20});
        else langevin_chain(cpu, host_model, ref, p, Steps{3, 20});
        EXPECT_LT(test::relative_error(runs[0], ref.to_vector<float>()), 1e-4) << labelled;
    }
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
