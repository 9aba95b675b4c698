// RBM evaluation on the GPU against the CPU: exact log Z (one chunk and several),
// AIS and RAISE on the same keys, pseudo-likelihood in the kernel and on its host path.
#include <gtest/gtest.h>

#include <cmath>
#include <utility>

#include "support.hpp"

namespace ebmkit {
namespace {

class RbmEvalGpu : public ::testing::Test {
protected:
    void SetUp() override {
        if (!cuda_available()) GTEST_SKIP() << "no CUDA device: the RBM evaluation kernels need one";
    }
};

TEST_F(RbmEvalGpu, ExactLogPartitionMatchesCpu) {
    Context gpu(Backend::Cuda), cpu(Backend::Cpu);
    auto rng = test::fresh_rng();
    // Enumerating h (M <= D) and v (D < M), one chunk and several (2^20 > 2^18).
    for (auto [d, m] : {std::pair<int, int>{30, 12}, {9, 40}, {50, 20}}) {
        Rbm rbm = test::random_rbm(rng, d, m, 0.3f);
        const double ref = log_partition_exact(cpu, rbm);
        EXPECT_NEAR(log_partition_exact(gpu, rbm.to(Device::Cuda)), ref, 2e-6 * std::abs(ref) + 1e-5) << d << "x" << m;
    }
}

TEST_F(RbmEvalGpu, AisMatchesExactAndTheCpuRuns) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    Context gpu(Backend::Cuda, seed), cpu(Backend::Cpu, seed);
    Rbm rbm = test::random_rbm(rng, 30, 20, 0.3f);
    const Tensor base = base_rate_bias(test::random_bits(rng, 200, 30, 0.3f));
    AisOptions options;
    options.runs = 64;
    options.betas = linear_ais_schedule(2000);
    const Tensor dbase = base.to(Device::Cuda);
    const AisResult g = log_partition_ais(gpu, rbm.to(Device::Cuda), dbase, options);
    const AisResult c = log_partition_ais(cpu, rbm, base, options);
    EXPECT_NEAR(g.log_z, log_partition_exact(cpu, rbm), 0.1);
    // Same keys, same samples (up to a rare rounding flip): the log weights agree closely.
    int close = 0;
    for (std::size_t r = 0; r < g.log_weights.size(); ++r) close += std::abs(g.log_weights[r] - c.log_weights[r]) < 1e-2;
    EXPECT_GE(close, 60);
}

TEST_F(RbmEvalGpu, RaiseMatchesTheCpuRuns) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    Context gpu(Backend::Cuda, seed), cpu(Backend::Cpu, seed);
    Rbm rbm = test::random_rbm(rng, 70, 30, 0.3f);
    const Tensor base = base_rate_bias(test::random_bits(rng, 200, 70, 0.3f));
    const Tensor v = test::random_bits(rng, 9, 70, 0.3f);
    AisOptions options;
    options.runs = 7;
    options.betas = linear_ais_schedule(200);  // short: the sanitizer filter runs it
    const Tensor dbase = base.to(Device::Cuda), dv = v.to(Device::Cuda);
    const RaiseResult g = log_likelihood_raise(gpu, rbm.to(Device::Cuda), dbase, dv, options);
    const RaiseResult c = log_likelihood_raise(cpu, rbm, base, v, options);
    ASSERT_EQ(g.log_likelihoods.size(), 9u);
    // Same keys, same chains (up to a rare rounding flip): the row estimates agree.
    int close = 0;
    for (std::size_t n = 0; n < 9; ++n) close += std::abs(g.log_likelihoods[n] - c.log_likelihoods[n]) < 1e-2;
    EXPECT_GE(close, 8);
    EXPECT_NEAR(g.mean, c.mean, 0.1);
}

// The kernel (double arithmetic) and, for M beyond its shared memory, the host path.
TEST_F(RbmEvalGpu, PseudoLikelihoodOnACudaContext) {
    Context gpu(Backend::Cuda), cpu(Backend::Cpu);
    auto rng = test::fresh_rng();
    const std::int64_t cases[][3] = {{9, 12, 7}, {33, 784, 500}, {1, 1, 1}, {3, 20, 20000}};
    for (const auto& c : cases) {
        const std::int64_t n = c[0], d = c[1], m = c[2];
        Rbm rbm = test::random_rbm(rng, d, m, 0.1f);
        const Tensor v = test::random_bits(rng, n, d);
        Tensor out = test::poisoned({n}, Device::Cuda), ref({n});
        const Tensor dv = v.to(Device::Cuda);
        pseudo_log_likelihood(gpu, rbm.to(Device::Cuda), dv, out);
        pseudo_log_likelihood(cpu, rbm, v, ref);
        EXPECT_LT(test::relative_error(out.to_vector<float>(), ref.to_vector<float>()), 1e-6) << n << "x" << d << "x" << m;
    }
}

}  // namespace
}  // namespace ebmkit
