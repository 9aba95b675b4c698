// The score family on the device, against the CPU twin: the draws bit for bit (uniform
// levels and signs) and within a few ulps (normals); denoising score matching's loss and
// gradient through the fused second-order kernel and through the unfused cuBLAS path
// (both conditionings, a partial last tile, FP32); sliced score matching's Taylor-mode
// passes (both forms, both projections); annealed Langevin through the fused chain's one-launch
// schedule and step by step; Tweedie's step. Skipped, saying why, without a device.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "host/ops/ops.hpp"
#include "support.hpp"

namespace ebmkit {
namespace {

const std::vector<Activation> activations = {Activation::relu(), Activation::elu(), Activation::silu(),
                                             Activation::tanh(), Activation::softplus()};

TEST(ScoreGpu, DrawsAreTheCpus) {
    if (!cuda_available()) GTEST_SKIP() << "no CUDA device: the score draws need one";
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    Context gpu(Backend::Cuda, seed), cpu(Backend::Cpu, seed);
    const std::int64_t rows = 37, d = 13;
    const std::vector<float> ladder = geometric_ladder(1.0f, 0.01f, 7);
    const Tensor device_ladder = Tensor::from(ladder, {7}).to(Device::Cuda);
    Tensor gs({rows}, DType::F32, gpu), gn({rows, d}, DType::F32, gpu), cs({rows}), cn({rows, d});
    detail::ops(gpu).score.draw_perturbation(gpu, device_ladder.data<float>(), 7, rows, d, {5, 100}, gs.data<float>(),
                                             gn.data<float>());
    detail::ops(cpu).score.draw_perturbation(cpu, ladder.data(), 7, rows, d, {5, 100}, cs.data<float>(), cn.data<float>());
    EXPECT_EQ(gs.to_vector<float>(), cs.to_vector<float>());
    EXPECT_LT(test::relative_error(gn.to_vector<float>(), cn.to_vector<float>()), 1e-6);
    for (const Projection kind : {Projection::Rademacher, Projection::Gaussian}) {
        Tensor gv({rows, d}, DType::F32, gpu), cv({rows, d});
        detail::ops(gpu).score.draw_projections(gpu, kind, rows, d, {9, 3}, gv.data<float>());
        detail::ops(cpu).score.draw_projections(cpu, kind, rows, d, {9, 3}, cv.data<float>());
        EXPECT_LT(test::relative_error(gv.to_vector<float>(), cv.to_vector<float>()), 1e-6) << to_string(kind);
    }
}

TEST(ScoreGpu, DenoisingLossAndGradientAreTheCpus) {
    if (!cuda_available()) GTEST_SKIP() << "no CUDA device: the second-order kernel needs one";
    auto rng = test::fresh_rng();
    Context gpu(Backend::Cuda), cpu(Backend::Cpu);
    for (const Activation& act : activations) {
        for (const std::int64_t rows : {37, 128}) {
            const MlpEnergy model = test::random_mlp(rng, {20, 48, 40, 3}, act, 1.5f);
            const Tensor x = test::uniform_tensor(rng, {rows, 20}, -1, 1), noise = test::uniform_tensor(rng, {rows, 20}, -2, 2);
            const Tensor sigma = test::uniform_tensor(rng, {rows}, 0.05f, 1.0f);
            for (const DenoisingScoreOptions o : {DenoisingScoreOptions{NoiseConditioning::None, false},
                                                  DenoisingScoreOptions{NoiseConditioning::ScaledByNoise, true}}) {
              for (const MlpPath path : {MlpPath::Auto, MlpPath::Unfused}) {  // the fused kernel, and cuBLAS's
                gpu.set_mlp_path(path);
                const std::string what = std::string(to_string(act.kind)) + " " + std::to_string(rows) + " rows " +
                                         to_string(o.conditioning) + " " + to_string(path);
                const MlpEnergy on_device = model.to(Device::Cuda);
                MlpEnergy want = model.zeros_like(), got = on_device.zeros_like();
                const Tensor dx = x.to(Device::Cuda), dn = noise.to(Device::Cuda), ds = sigma.to(Device::Cuda);
                const double l_cpu = denoising_score_gradient(cpu, model, x, noise, sigma, o, want);
                const double l_gpu = denoising_score_gradient(gpu, on_device, dx, dn, ds, o, got);
                EXPECT_NEAR(l_gpu, l_cpu, 1e-5 * (1 + l_cpu)) << what;
                EXPECT_LT(test::relative_error(got.flat().to_vector<float>(), want.flat().to_vector<float>()), 1e-4)
                    << what;
              }
            }
        }
    }
}

TEST(ScoreGpu, SlicedLossAndGradientAreTheCpus) {
    if (!cuda_available()) GTEST_SKIP() << "no CUDA device: the sliced passes need one";
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    Context gpu(Backend::Cuda, seed), cpu(Backend::Cpu, seed);
    for (const Activation& act : activations) {
        const std::int64_t rows = 37;
        const MlpEnergy model = test::random_mlp(rng, {20, 48, 40, 3}, act, 1.5f);
        const Tensor x = test::uniform_tensor(rng, {rows, 20}, -1, 1);
        for (const Projection kind : {Projection::Rademacher, Projection::Gaussian}) {
            Tensor v({rows, 20});
            detail::ops(cpu).score.draw_projections(cpu, kind, rows, 20, {3, 0}, v.data<float>());
            for (const bool reduced : {false, true}) {
                const std::string what = std::string(to_string(act.kind)) + " " + to_string(kind) +
                                         (reduced ? " variance-reduced" : "");
                const MlpEnergy on_device = model.to(Device::Cuda);
                MlpEnergy want = model.zeros_like(), got = on_device.zeros_like();
                const Tensor dx = x.to(Device::Cuda), dv = v.to(Device::Cuda);
                const double l_cpu = sliced_score_gradient(cpu, model, x, v, reduced, want);
                const double l_gpu = sliced_score_gradient(gpu, on_device, dx, dv, reduced, got);
                EXPECT_NEAR(l_gpu, l_cpu, 1e-4 * (1 + std::abs(l_cpu))) << what;
                EXPECT_LT(test::relative_error(got.flat().to_vector<float>(), want.flat().to_vector<float>()), 1e-4)
                    << what;
                EXPECT_NEAR(sliced_score_loss(gpu, on_device, dx, dv, reduced), l_cpu, 1e-4 * (1 + std::abs(l_cpu))) << what;
            }
        }
    }
}

// A context that asks for the fused path by name, on a model the fused kernels cannot
// hold, gets an Error naming the fallback, and nothing is written; Auto takes the
// cuBLAS path for it.
TEST(ScoreGpu, AnExplicitFusedPathRefusesAModelItCannotHold) {
    if (!cuda_available()) GTEST_SKIP() << "no CUDA device: the fused kernels need one";
    auto rng = test::fresh_rng();
    Context gpu(Backend::Cuda);
    const MlpEnergy model = test::random_mlp(rng, {64, 2048, 2048, 1}, Activation::silu(), 1.0f).to(Device::Cuda);
    const Tensor x = test::uniform_tensor(rng, {8, 64}, -1, 1).to(Device::Cuda);
    const Tensor noise = test::uniform_tensor(rng, {8, 64}, -1, 1).to(Device::Cuda);
    const Tensor sigma = Tensor::from(std::vector<float>(8, 0.5f), {8}).to(Device::Cuda);
    MlpEnergy grad = model.zeros_like();
    gpu.set_mlp_path(MlpPath::Fused);
    for (const bool sliced : {false, true}) {
        try {
            if (sliced) sliced_score_gradient(gpu, model, x, noise, false, grad);
            else denoising_score_gradient(gpu, model, x, noise, sigma, {}, grad);
            ADD_FAILURE() << "no error, sliced " << sliced;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("MlpPath::Auto"), std::string::npos) << e.what();
        }
    }
    for (const float g : grad.flat().to_vector<float>()) ASSERT_EQ(g, 0.0f) << "an error changes nothing";
    gpu.set_mlp_path(MlpPath::Auto);
    EXPECT_TRUE(std::isfinite(sliced_score_gradient(gpu, model, x, noise, false, grad)));
    EXPECT_TRUE(std::isfinite(denoising_score_gradient(gpu, model, x, noise, sigma, {}, grad)));
}

TEST(ScoreGpu, AnnealedLangevinAndTweedieFollowTheCpu) {
    if (!cuda_available()) GTEST_SKIP() << "no CUDA device: the chains need one";
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    Context cpu(Backend::Cpu, seed);
    const MlpEnergy model = test::random_mlp(rng, {24, 32, 1}, Activation::softplus(), 1.5f);
    const Tensor start = test::uniform_tensor(rng, {40, 24}, 0, 1);
    AnnealedLangevinParams p;
    p.sigmas = geometric_ladder(0.5f, 0.05f, 4);
    p.epsilon = 1e-4f;
    p.steps_per_level = 3;
    Tensor want = start.clone();
    annealed_langevin(cpu, model, want, p, 17);
    for (const MlpPath path : {MlpPath::Fused, MlpPath::Unfused}) {
        Context gpu(Backend::Cuda, seed);
        gpu.set_mlp_path(path);
        Tensor x = start.to(Device::Cuda);
        annealed_langevin(gpu, model.to(Device::Cuda), x, p, 17);
        EXPECT_LT(test::relative_error(x.to_vector<float>(), want.to_vector<float>()), 1e-4) << to_string(path);
    }
    Context gpu(Backend::Cuda, seed);
    Tensor x = start.to(Device::Cuda), y = start.clone();
    tweedie_denoise(gpu, model.to(Device::Cuda), x, 0.2f, NoiseConditioning::ScaledByNoise);
    tweedie_denoise(cpu, model, y, 0.2f, NoiseConditioning::ScaledByNoise);
    EXPECT_LT(test::relative_error(x.to_vector<float>(), y.to_vector<float>()), 1e-5);
}

}  // namespace
}  // namespace ebmkit
