// The samplers for any energy on a GPU (compiled by nvcc, as a user's call is: the CUDA
// backend of include/ebmkit/sample.hpp): the chains against the CPU backend's (the device
// takes its accept tests in float and may contract products into FMAs, so a proposal within
// rounding of the test may go the other way: at most 1% of the chains may differ), and
// MALA and HMC on the correlated Gaussian reach its mean within 5 standard errors.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "ebmkit/energies.hpp"
#include "ebmkit/sample.hpp"
#include "support.hpp"

namespace ebmkit {
namespace {

class SampleGpu : public ::testing::Test {
protected:
    void SetUp() override {
        if (!cuda_available()) GTEST_SKIP() << "no CUDA device: the CUDA samplers need one";
    }
};

// Rows of two chain states [rows, d] (a's and b's) that differ anywhere by more than
// tolerance (1 + |a|).
int rows_apart(const Tensor& a, const Tensor& b, float tolerance) {
    const std::vector<float> x = a.to_vector<float>(), y = b.to_vector<float>();
    const std::int64_t rows = a.dim(0), d = a.dim(1);
    int apart = 0;
    for (std::int64_t r = 0; r < rows; ++r) {
        bool same = true;
        for (std::int64_t i = 0; i < d; ++i) {
            same &= std::abs(x[r * d + i] - y[r * d + i]) <= tolerance * (1 + std::abs(x[r * d + i]));
        }
        apart += !same;
    }
    return apart;
}

GaussianEnergy gaussian() {
    return GaussianEnergy::from_covariance({1.0, -1.0, 0.5}, {1.0, 0.6, 0.2, 0.6, 2.0, -0.4, 0.2, -0.4, 0.5});
}

TEST_F(SampleGpu, ChainsFollowTheCpu) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    SampleParams hmc = SampleParams::hmc(0.2f, 6);
    hmc.mass = {1.0f, 2.0f, 0.5f};
    for (const SampleParams& p : {SampleParams::ula(0.1f), SampleParams::mala(0.15f), hmc}) {
        const Tensor start = test::uniform_tensor(rng, {1000, 3}, -1, 1);
        Context cpu(Backend::Cpu, seed), gpu(Backend::Cuda, seed);
        Tensor host = start.clone(), device = start.to(Device::Cuda);
        const SampleStats a = sample(cpu, gaussian(), host, p, Steps{0, 30}, true);
        const SampleStats b = sample(gpu, gaussian(), device, p, Steps{0, 30}, true);
        EXPECT_LE(rows_apart(host, device, 1e-3f), 10);
        EXPECT_NEAR(b.acceptance_rate(), a.acceptance_rate(), 0.01);
        ASSERT_EQ(b.trace.size(), a.trace.size());
        ASSERT_EQ(b.mean_energy.size(), 30u);
    }
}

TEST_F(SampleGpu, MalaAndHmcReachTheGaussiansMean) {
    auto rng = test::fresh_rng();
    Context gpu(Backend::Cuda, rng());
    const std::vector<double> mean = {1.0, -1.0, 0.5}, var = {1.0, 2.0, 0.5};
    for (const SampleParams& p : {SampleParams::mala(0.15f), SampleParams::hmc(0.2f, 8)}) {
        Tensor x = Tensor::zeros({4096, 3}, DType::F32, gpu);
        sample(gpu, gaussian(), x, p, Steps{0, 300});
        const SampleStats s = sample(gpu, gaussian(), x, p, Steps{300, 200}, true);
        const std::size_t n = s.trace.size() / 3;
        for (int i = 0; i < 3; ++i) {
            double m = 0;
            for (std::size_t k = 0; k < n; ++k) m += s.trace[k * 3 + i] / double(n);
            EXPECT_NEAR(m, mean[i], 5 * std::sqrt(var[i] / s.diagnostics.effective_sample_size[i])) << i;
        }
    }
}

// A user's energy, compiled here by nvcc: N(0, s^2 I) with s^2 = 1 / 0.5, by HMC on the GPU.
struct UserIsotropic {
    EBMKIT_HOST_DEVICE int dim() const { return 4; }
    EBMKIT_HOST_DEVICE float operator()(const float* x, float* grad) const {
        float e = 0.0f;
        for (int i = 0; i < 4; ++i) {
            grad[i] = 0.5f * x[i];
            e += 0.25f * x[i] * x[i];
        }
        return e;
    }
};

// Every sampler (MALA and HMC exactly; ULA at step alpha has variance 2 / (1 - alpha / 4)
// for E = x^2 / 4), the mean within 5 standard errors, the variance within 10%.
TEST_F(SampleGpu, AUserEnergyCompiledByNvccRunsThroughEverySampler) {
    auto rng = test::fresh_rng();
    for (const SampleParams& p : {SampleParams::ula(0.2f), SampleParams::mala(0.5f), SampleParams::hmc(0.5f, 6)}) {
        Context gpu(Backend::Cuda, rng());
        Tensor x = Tensor::zeros({2048, 4}, DType::F32, gpu);
        sample(gpu, UserIsotropic{}, x, p, Steps{0, 100});
        const SampleStats s = sample(gpu, UserIsotropic{}, x, p, Steps{100, 100}, true);
        const double want = p.kind == SamplerKind::Ula ? 2.0 / (1.0 - 0.2 / 4) : 2.0;
        const std::size_t n = s.trace.size() / 4;
        for (int i = 0; i < 4; ++i) {
            double m = 0, v = 0;
            for (std::size_t k = 0; k < n; ++k) m += s.trace[k * 4 + i] / double(n);
            for (std::size_t k = 0; k < n; ++k) v += (s.trace[k * 4 + i] - m) * (s.trace[k * 4 + i] - m) / double(n - 1);
            EXPECT_NEAR(m, 0.0, 5 * std::sqrt(want / s.diagnostics.effective_sample_size[i])) << to_string(p.kind) << i;
            EXPECT_NEAR(v, want, 0.1 * want) << to_string(p.kind) << i;
        }
    }
}

// The same energy with a block-cooperative form (ebmkit/energy.hpp): a block of 8 chains
// whose states it holds in shared memory, each thread of the first 8 evaluating one row.
// The block path's chains are the thread-per-chain path's (the same functions in another
// kernel, where the compiler may contract other products: at most 1% of the chains may differ).
struct UserIsotropicBlocks : UserIsotropic {
    static constexpr int block_rows = 8;
    std::size_t block_shared_bytes() const { return block_rows * 4 * sizeof(float); }
    __device__ void block_load(const BlockTile& tile, const float* x, unsigned char* shared) const {
        auto* xs = reinterpret_cast<float*>(shared);
        for (int i = static_cast<int>(threadIdx.x); i < tile.valid * 4; i += static_cast<int>(blockDim.x)) xs[i] = x[i];
    }
    template <class OnEnergy, class OnGrad>
    __device__ void block_evaluate(const BlockTile& tile, unsigned char* shared, bool gradient, OnEnergy on_energy,
                                   OnGrad on_grad) const {
        auto* xs = reinterpret_cast<float*>(shared);
        const int r = static_cast<int>(threadIdx.x);
        if (r < tile.valid) {
            float g[4];
            on_energy(r, (*this)(xs + r * 4, g));
            if (gradient) on_grad(r, 0, g, xs + r * 4);
        }
    }
    __device__ void block_store(const BlockTile& tile, float* x, unsigned char* shared) const {
        const auto* xs = reinterpret_cast<const float*>(shared);
        for (int i = static_cast<int>(threadIdx.x); i < tile.valid * 4; i += static_cast<int>(blockDim.x)) x[i] = xs[i];
    }
};

TEST_F(SampleGpu, AUsersBlockFormIsItsThreadPerChainPath) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    for (const SampleParams& p : {SampleParams::ula(0.2f), SampleParams::mala(0.5f), SampleParams::hmc(0.5f, 6)}) {
        const Tensor start = test::uniform_tensor(rng, {1001, 4}, -2, 2).to(Device::Cuda);
        Context gpu(Backend::Cuda, seed);
        Tensor a = start.clone(), b = start.clone();
        const SampleStats sa = sample(gpu, UserIsotropic{}, a, p, Steps{0, 20});
        const SampleStats sb = sample(gpu, UserIsotropicBlocks{}, b, p, Steps{0, 20});
        EXPECT_LE(rows_apart(a, b, 1e-4f), 10) << to_string(p.kind);
        EXPECT_NEAR(static_cast<double>(sa.accepted), static_cast<double>(sb.accepted), 10) << to_string(p.kind);
    }
}

// The MLP energy as an instance (ebmkit/mlp_energy_view.hpp) of a model on the GPU, through
// every sampler, against the same view of the model on the CPU.
TEST_F(SampleGpu, AnMlpEnergyViewFollowsTheCpu) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    const MlpEnergy model = test::random_mlp(rng, {12, 32, 16, 4}, Activation::silu());
    const MlpEnergy on_gpu = model.to(Device::Cuda);
    for (const SampleParams& p : {SampleParams::ula(0.01f), SampleParams::mala(0.02f), SampleParams::hmc(0.02f, 4)}) {
        const Tensor start = test::uniform_tensor(rng, {512, 12}, -1, 1);
        Context cpu(Backend::Cpu, seed), gpu(Backend::Cuda, seed);
        Tensor host = start.clone(), device = start.to(Device::Cuda);
        const SampleStats a = sample(cpu, MlpEnergyView::of(model), host, p, Steps{0, 10});
        const SampleStats b = sample(gpu, MlpEnergyView::of(on_gpu), device, p, Steps{0, 10});
        EXPECT_LE(rows_apart(host, device, 1e-3f), 5) << to_string(p.kind);
        EXPECT_NEAR(b.acceptance_rate(), a.acceptance_rate(), 0.02) << to_string(p.kind);
    }
    Context gpu(Backend::Cuda, seed);
    Tensor x = Tensor::zeros({4, 12}, DType::F32, gpu);
    EXPECT_THROW(sample(gpu, MlpEnergyView::of(model), x, SampleParams::mala(0.1f), Steps{0, 1}), Error);  // a host model
}

}  // namespace
}  // namespace ebmkit
