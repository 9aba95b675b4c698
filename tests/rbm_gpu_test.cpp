// RBM CUDA kernels against the CPU reference on awkward shapes, outputs poisoned
// with NaN first: probabilities and free energies to Fp32 tolerance, samples
// equal (the uniforms are bit-identical; only a u within rounding of p may flip),
// CD gradients, Tf32 / Bf16 products within docs/ARCHITECTURE.md §7's tolerances, the on-chip
// k-sweep chain kernel against k single sweeps, and Gibbs chains of a tiny RBM
// against its exact distribution in every precision. (Evaluation:
// rbm_eval_gpu_test.cpp; the trainer: rbm_trainer_gpu_test.cpp.)
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <string>
#include <utility>

#include "support.hpp"

namespace ebmkit {
namespace {

class RbmGpu : public ::testing::Test {
protected:
    void SetUp() override {
        if (!cuda_available()) GTEST_SKIP() << "no CUDA device: the RBM kernels need one";
    }
};

double mismatch_fraction(const std::vector<float>& a, const std::vector<float>& b) {
    std::size_t differ = 0;
    for (std::size_t i = 0; i < a.size(); ++i) differ += !(a[i] == b[i]);
    return static_cast<double>(differ) / static_cast<double>(a.size());
}

const std::int64_t shapes[][3] = {{1, 1, 1}, {31, 33, 7}, {33, 31, 64}, {129, 784, 500}, {5, 64, 1}, {70, 1, 65}};

// Every precision within docs/ARCHITECTURE.md §7's tolerance.
TEST_F(RbmGpu, ConditionalsAndFreeEnergyMatchCpu) {
    auto rng = test::fresh_rng();
    Context cpu(Backend::Cpu);
    for (auto [precision, limit] : {std::pair{Precision::Fp32, 1e-5}, {Precision::Tf32, 3e-3}, {Precision::Bf16, 2e-2}}) {
        Context gpu(Backend::Cuda, 0, precision);
        for (const auto& s : shapes) {
            const std::int64_t n = s[0], d = s[1], m = s[2];
            Rbm rbm = test::random_rbm(rng, d, m, 0.5f);
            const Rbm drbm = rbm.to(Device::Cuda);
            const Tensor v = test::random_bits(rng, n, d), h = test::random_bits(rng, n, m);
            Tensor ph = test::poisoned({n, m}, Device::Cuda), pv = test::poisoned({n, d}, Device::Cuda);
            Tensor f = test::poisoned({n}, Device::Cuda);
            const Tensor dv = v.to(Device::Cuda), dh = h.to(Device::Cuda);
            rbm_hidden_probs(gpu, drbm, dv, ph);
            rbm_visible_probs(gpu, drbm, dh, pv);
            free_energy(gpu, drbm, dv, f);
            Tensor ph_ref({n, m}), pv_ref({n, d}), f_ref({n});
            rbm_hidden_probs(cpu, rbm, v, ph_ref);
            rbm_visible_probs(cpu, rbm, h, pv_ref);
            free_energy(cpu, rbm, v, f_ref);
            const std::string what = std::string(to_string(precision)) + " " + std::to_string(n) + "x" +
                                     std::to_string(d) + "x" + std::to_string(m);
            EXPECT_LT(test::relative_error(ph.to_vector<float>(), ph_ref.to_vector<float>()), limit) << what;
            EXPECT_LT(test::relative_error(pv.to_vector<float>(), pv_ref.to_vector<float>()), limit) << what;
            EXPECT_LT(test::relative_error(f.to_vector<float>(), f_ref.to_vector<float>()), limit) << what;
        }
    }
}

// The on-chip chain kernel draws what k launches of gibbs_step draw (Fp32: the same
// products in the same order, so bit for bit), for chain counts that pick 16-, 32-
// and 64-chain tiles and a shape too large to stay on chip.
// More chains than one product launch covers (65,535 row tiles of 64): rejected
// before the data statistics are written into grad or a chain moves.
TEST_F(RbmGpu, CdGradientRejectsAnUnlaunchableChainCountBeforeWriting) {
    Context gpu(Backend::Cuda, 1);
    const Rbm rbm = Rbm(2, 2).to(Device::Cuda);
    Rbm grad = rbm.zeros_like();
    const Tensor data = test::filled({4, 2}, 1.0f, Device::Cuda);
    Tensor chains = test::poisoned({std::int64_t{65535} * 64 + 1, 2}, Device::Cuda);
    const Tensor poison = test::poisoned({2, 2}, Device::Host);
    grad.w().copy_from(poison);
    const auto chains_before = chains.to_vector<float>();
    EXPECT_THROW(cd_gradient(gpu, rbm, data, chains, grad, Steps{0, 1}), Error);
    EXPECT_TRUE(test::same_bytes(grad.w().to_vector<float>(), poison.to_vector<float>()));
    EXPECT_TRUE(test::same_bytes(chains.to_vector<float>(), chains_before));
}

// k sweeps of gibbs_chain (on chip) give the bits of k gibbs_steps, for each (n, d, m).
void expect_chain_equals_steps(const std::vector<std::array<std::int64_t, 3>>& cases) {
    auto rng = test::fresh_rng();
    Context gpu(Backend::Cuda, rng());
    for (const auto& c : cases) {
        const std::int64_t n = c[0], d = c[1], m = c[2];
        const Rbm rbm = test::random_rbm(rng, d, m, 0.3f).to(Device::Cuda);
        const Tensor start = test::random_bits(rng, n, d);
        Tensor v1 = start.to(Device::Cuda), v2 = start.to(Device::Cuda);
        Tensor h1 = test::poisoned({n, m}, Device::Cuda), h2 = test::poisoned({n, m}, Device::Cuda);
        gibbs_chain(gpu, rbm, v1, h1, Steps{4, 7});
        for (std::uint32_t s = 4; s < 11; ++s) gibbs_step(gpu, rbm, v2, h2, s);
        EXPECT_EQ(v1.to_vector<float>(), v2.to_vector<float>()) << n << "x" << d << "x" << m;
        EXPECT_EQ(h1.to_vector<float>(), h2.to_vector<float>()) << n << "x" << d << "x" << m;
    }
}

TEST_F(RbmGpu, GibbsChainEqualsRepeatedSteps) {
    expect_chain_equals_steps({{37, 784, 500}, {5000, 33, 20}, {9000, 10, 7}, {20, 3000, 1000}});
}

// The same at sizes compute-sanitizer's racecheck gets through in seconds (the case
// above took over 120 s there on an H200): several blocks, a partial one, odd widths.
TEST_F(RbmGpu, GibbsChainEqualsRepeatedStepsAtSanitizerSize) { expect_chain_equals_steps({{37, 70, 40}, {130, 20, 9}}); }

TEST_F(RbmGpu, GibbsStepDrawsTheSameSamplesAsTheCpu) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    Context gpu(Backend::Cuda, seed), cpu(Backend::Cpu, seed);
    for (const auto& s : shapes) {
        const std::int64_t n = s[0], d = s[1], m = s[2];
        Rbm rbm = test::random_rbm(rng, d, m, 1.0f);
        const Rbm drbm = rbm.to(Device::Cuda);
        Tensor v = test::random_bits(rng, n, d);
        Tensor dv = v.to(Device::Cuda), dh = test::poisoned({n, m}, Device::Cuda), h({n, m});
        gibbs_step(gpu, drbm, dv, dh, 9);
        gibbs_step(cpu, rbm, v, h, 9);
        EXPECT_LE(mismatch_fraction(dh.to_vector<float>(), h.to_vector<float>()), 1e-3) << n << "x" << d << "x" << m;
        EXPECT_LE(mismatch_fraction(dv.to_vector<float>(), v.to_vector<float>()), 1e-3) << n << "x" << d << "x" << m;
    }
}

// The whole batch, and a data-parallel rank's part (RbmShard: chains keyed from
// first_chain 12, the means over the global batch's 60 data rows and 36 chains): the key
// offset through the chain kernel and the global scales through the statistics.
TEST_F(RbmGpu, CdGradientMatchesCpu) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    Context gpu(Backend::Cuda, seed, Precision::Fp32), cpu(Backend::Cpu, seed);
    Rbm rbm = test::random_rbm(rng, 33, 17, 0.3f);
    const Tensor data = test::random_bits(rng, 40, 33);
    for (const RbmShard& shard : {RbmShard{}, RbmShard{12, 60, 36}}) {
        Tensor chains = test::random_bits(rng, 24, 33);
        Tensor dchains = chains.to(Device::Cuda);
        Rbm grad = rbm.zeros_like(), dgrad = rbm.to(Device::Cuda).zeros_like();
        cd_gradient(cpu, rbm, data, chains, grad, Steps{5, 2}, shard);
        const Tensor ddata = data.to(Device::Cuda);
        cd_gradient(gpu, rbm.to(Device::Cuda), ddata, dchains, dgrad, Steps{5, 2}, shard);
        ASSERT_LE(mismatch_fraction(dchains.to_vector<float>(), chains.to_vector<float>()), 0.0)
            << "chains diverged: a uniform fell within rounding of its probability (rerun with another seed)";
        EXPECT_LT(test::relative_error(dgrad.w().to_vector<float>(), grad.w().to_vector<float>()), 1e-5);
        EXPECT_LT(test::relative_error(dgrad.b().to_vector<float>(), grad.b().to_vector<float>()), 1e-5);
        EXPECT_LT(test::relative_error(dgrad.c().to_vector<float>(), grad.c().to_vector<float>()), 1e-5);
    }
}

TEST_F(RbmGpu, GibbsChainsReachTheExactDistribution) {
    auto rng = test::fresh_rng();
    Context gpu(Backend::Cuda, rng());
    Rbm rbm = test::random_rbm(rng, 4, 3, 1.0f);
    // Exact p(v) by enumeration of the joint.
    std::vector<double> p(16, 0.0);
    double z = 0;
    for (unsigned v = 0; v < 16; ++v) {
        for (unsigned h = 0; h < 8; ++h) {
            double e = 0;
            for (int i = 0; i < 4; ++i) {
                if (!(v >> i & 1)) continue;
                e += rbm.b().data<float>()[i];
                for (int j = 0; j < 3; ++j) e += (h >> j & 1) * double(rbm.w().data<float>()[i * 3 + j]);
            }
            for (int j = 0; j < 3; ++j) e += (h >> j & 1) * double(rbm.c().data<float>()[j]);
            p[v] += std::exp(e);
        }
        z += p[v];
    }
    // 16384 chains, 20 sweeps of burn-in, then 20 sweeps recorded, one gibbs_chain call
    // per sweep so each state can be counted. Bf16 rounds the weights (relative 2^-9),
    // which moves p(v) by far less than the bound.
    const std::int64_t chains = 16384;
    const Rbm drbm = rbm.to(Device::Cuda);
    for (Precision precision : {Precision::Fp32, Precision::Tf32, Precision::Bf16}) {
        gpu.set_precision(precision);
        Tensor v = Tensor::zeros({chains, 4}, DType::F32, Device::Cuda), h = Tensor::zeros({chains, 3}, DType::F32, Device::Cuda);
        gibbs_chain(gpu, drbm, v, h, Steps{0, 20});
        std::vector<double> count(16, 0.0);
        for (std::uint32_t s = 20; s < 40; ++s) {
            gibbs_chain(gpu, drbm, v, h, Steps{s, 1});
            const auto host = v.to_vector<float>();
            for (std::int64_t c = 0; c < chains; ++c) {
                unsigned mask = 0;
                for (int i = 0; i < 4; ++i) mask |= (host[c * 4 + i] > 0.5f) << i;
                count[mask] += 1.0 / (20.0 * chains);
            }
        }
        double tv = 0;
        for (int k = 0; k < 16; ++k) tv += std::fabs(count[k] - p[k] / z) / 2;
        EXPECT_LT(tv, 0.01) << to_string(precision);
    }
}

}  // namespace
}  // namespace ebmkit
