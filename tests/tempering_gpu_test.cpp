// Parallel tempering on the GPU against its CPU twin: the same states after sweeps of
// both parities on a Fashion-MNIST-sized RBM (up to a near-threshold flip; the on-chip
// chain) and with more replicas than a block holds (the launch sequence), each replica
// of a tiny RBM at its exact tempered distribution, and no host traffic while it runs.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "support.hpp"

namespace ebmkit {
namespace {

class TemperingGpu : public ::testing::Test {
protected:
    void SetUp() override {
        if (!cuda_available()) GTEST_SKIP() << "no CUDA device: the tempering kernels need one";
    }
};

// `sweeps` sweeps of `chains` chains on both backends from the same seed: the GPU's
// states follow the CPU twin's (only a uniform within float rounding of its probability
// may flip, and then its chain's later draws), with no host traffic while they run.
void expect_follows_cpu(const Rbm& rbm, const std::vector<float>& betas, std::int64_t chains, int sweeps,
                        std::uint64_t seed) {
    const Rbm drbm = rbm.to(Device::Cuda);
    Context cpu(Backend::Cpu, seed), gpu(Backend::Cuda, seed);
    ParallelTempering host(cpu, rbm.visible(), rbm.hidden(), chains, betas);
    ParallelTempering device(gpu, rbm.visible(), rbm.hidden(), chains, betas);
    host.run(rbm, sweeps);
    gpu.synchronize();
    gpu.reset_transfers();
    device.run(drbm, sweeps);
    EXPECT_EQ(gpu.transfers().copies, 0);
    EXPECT_EQ(gpu.transfers().synchronizations, 0);
    const std::vector<float> a = host.states().to_vector<float>(), b = device.states().to_vector<float>();
    std::size_t differ = 0;
    for (std::size_t i = 0; i < a.size(); ++i) differ += a[i] != b[i];
    EXPECT_LT(static_cast<double>(differ) / static_cast<double>(a.size()), 0.02);
    const std::vector<std::int64_t> ha = host.swaps_accepted(), da = device.swaps_accepted();
    for (std::size_t r = 0; r < ha.size(); ++r) EXPECT_NEAR(ha[r], da[r], 3) << "pair " << r;
    EXPECT_EQ(host.swaps_attempted(), device.swaps_attempted());
}

// 6 replicas of a 784 x 500 RBM: the on-chip chain, one launch.
TEST_F(TemperingGpu, SweepsMatchTheCpuTwinWithoutHostTraffic) {
    auto rng = test::fresh_rng();
    const Rbm rbm = test::random_rbm(rng, 784, 500, 0.05f);
    expect_follows_cpu(rbm, geometric_betas(6, 0.2f), 64, 5, rng());
}

// The on-chip chain at a size compute-sanitizer's racecheck gets through in seconds
// (the 784 x 500 case above took over 120 s there on an H200).
TEST_F(TemperingGpu, SweepsMatchTheCpuTwinAtSanitizerSize) {
    auto rng = test::fresh_rng();
    const Rbm rbm = test::random_rbm(rng, 60, 30, 0.2f);
    expect_follows_cpu(rbm, geometric_betas(6, 0.2f), 16, 2, rng());
}

// 20 replicas: no tile holds a chain's replicas, so the three-launch sequence runs.
TEST_F(TemperingGpu, TheLaunchSequenceMatchesTheCpuTwinWhereReplicasDoNotFit) {
    auto rng = test::fresh_rng();
    const Rbm rbm = test::random_rbm(rng, 100, 40, 0.2f);
    expect_follows_cpu(rbm, geometric_betas(20, 0.05f), 6, 4, rng());
}

TEST_F(TemperingGpu, ReplicasReachTheirTemperedDistributions) {
    auto rng = test::fresh_rng();
    const Rbm rbm = test::random_rbm(rng, 4, 3, 1.5f);
    Context ctx(Backend::Cuda, rng());
    const std::vector<float> betas = geometric_betas(3, 0.3f);
    const std::int64_t chains = 4096;
    ParallelTempering pt(ctx, 4, 3, chains, betas);
    const Rbm drbm = rbm.to(Device::Cuda);
    pt.run(drbm, 30);
    std::vector<std::vector<double>> count(3, std::vector<double>(16, 0.0));
    for (int s = 0; s < 30; ++s) {
        pt.run(drbm, 1);
        const std::vector<float> v = pt.states().to_vector<float>();
        for (int r = 0; r < 3; ++r) {
            for (std::int64_t c = 0; c < chains; ++c) {
                unsigned mask = 0;
                for (int i = 0; i < 4; ++i) mask |= static_cast<unsigned>(v[(r * chains + c) * 4 + i] > 0.5f) << i;
                count[r][mask] += 1;
            }
        }
    }
    Context cpu(Backend::Cpu);
    for (int r = 0; r < 3; ++r) {
        // p_beta(v) = exp(beta b^T v) prod_j (1 + exp(beta x_j)) / Z_beta, x = c + v W.
        std::vector<double> p(16);
        double z = 0;
        for (unsigned v = 0; v < 16; ++v) {
            double log_p = 0;
            for (int i = 0; i < 4; ++i) log_p += (v >> i & 1) ? betas[r] * rbm.b().data<float>()[i] : 0.0;
            for (int j = 0; j < 3; ++j) {
                double x = rbm.c().data<float>()[j];
                for (int i = 0; i < 4; ++i) x += (v >> i & 1) ? rbm.w().data<float>()[i * 3 + j] : 0.0;
                log_p += std::log1p(std::exp(betas[r] * x));
            }
            p[v] = std::exp(log_p);
            z += p[v];
        }
        double tv = 0;
        for (int k = 0; k < 16; ++k) tv += std::fabs(count[r][k] / (30.0 * chains) - p[k] / z) / 2;
        EXPECT_LT(tv, 0.02) << "replica " << r;
    }
}

}  // namespace
}  // namespace ebmkit
