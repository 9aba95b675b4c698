// Score matching's public functions (ebmkit/score.hpp) and its draws:
//   - the losses and gradients are the CPU twin's (host/cpu/score.hpp, tested against
//     central differences in score_reference_test), rounded to float, at batch sizes
//     that are and are not multiples of a tile;
//   - the draws: noise levels uniform over the ladder, N(0, 1) noise, Rademacher and
//     Gaussian projections, each within its standard error, and keyed by row (a batch
//     drawn in parts is the batch drawn whole);
//   - annealed Langevin on a linear energy E(x) = -(w . x + b), whose gradient is -w:
//     the chains' mean moves by sum_i T a_i / (2 c_i) w (+ sigma_L^2 / c_L w with
//     Tweedie's step) and their variance is sum_i T a_i, within standard errors, which
//     pins the step size, the noise scale and the sign of Song & Ermon's Algorithm 1;
//   - bad input: an error naming the argument, and nothing written.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "host/cpu/score.hpp"
#include "host/ops/ops.hpp"
#include "support.hpp"

namespace ebmkit {
namespace {

const std::vector<Activation> activations = {Activation::relu(), Activation::leaky_relu(0.1f), Activation::elu(),
                                             Activation::silu(), Activation::tanh(), Activation::softplus()};

std::vector<float> gradient_values(const MlpEnergy& grad) { return grad.flat().to_vector<float>(); }

// The oracle's gradient in MlpEnergy::flat's layout, rounded to float.
std::vector<float> flat_of(const MlpEnergy& model, const cpu::ScoreGradient& g) {
    MlpEnergy out = model.zeros_like();
    for (int l = 0; l < model.num_layers(); ++l) {
        for (std::size_t k = 0; k < g.weight[l].size(); ++k) out.weight(l).data<float>()[k] = static_cast<float>(g.weight[l][k]);
        for (std::size_t k = 0; k < g.bias[l].size(); ++k) out.bias(l).data<float>()[k] = static_cast<float>(g.bias[l][k]);
    }
    return out.flat().to_vector<float>();
}

TEST(Score, DenoisingIsTheCpuTwin) {
    auto rng = test::fresh_rng();
    Context ctx(Backend::Cpu);
    for (const Activation& act : activations) {
        for (const std::int64_t rows : {1, 16, 19}) {
            const MlpEnergy model = test::random_mlp(rng, {5, 8, 7, 3}, act, 1.5f);
            const Tensor x = test::uniform_tensor(rng, {rows, 5}, -1, 1);
            const Tensor noise = test::uniform_tensor(rng, {rows, 5}, -2, 2);
            const Tensor sigma = test::uniform_tensor(rng, {rows}, 0.05f, 1.0f);
            for (const DenoisingScoreOptions o : {DenoisingScoreOptions{NoiseConditioning::None, false},
                                                  DenoisingScoreOptions{NoiseConditioning::ScaledByNoise, true}}) {
                const std::string what = std::string(to_string(act.kind)) + ", " + std::to_string(rows) + " rows, " +
                                         to_string(o.conditioning);
                MlpEnergy grad = model.zeros_like();
                const double loss = denoising_score_gradient(ctx, model, x, noise, sigma, o, grad);
                const cpu::ScoreGradient want =
                    cpu::denoising_gradient(cpu::params_of(model), x.data<float>(), noise.data<float>(),
                                            sigma.data<float>(), rows,
                                            {o.conditioning == NoiseConditioning::ScaledByNoise, o.sigma_squared_weight});
                EXPECT_NEAR(loss, want.loss, 1e-6 * (1 + want.loss)) << what;
                EXPECT_NEAR(denoising_score_loss(ctx, model, x, noise, sigma, o), want.loss, 1e-6 * (1 + want.loss))
                    << what;
                EXPECT_LT(test::relative_error(gradient_values(grad), flat_of(model, want)), 1e-6) << what;
            }
        }
    }
}

TEST(Score, SlicedIsTheCpuTwin) {
    auto rng = test::fresh_rng();
    Context ctx(Backend::Cpu);
    for (const Activation& act : activations) {
        for (const std::int64_t rows : {3, 16}) {
            const MlpEnergy model = test::random_mlp(rng, {4, 9, 2}, act, 1.5f);
            const Tensor x = test::uniform_tensor(rng, {rows, 4}, -1, 1);
            const Tensor v = test::uniform_tensor(rng, {rows, 4}, -1.5f, 1.5f);
            for (const bool reduced : {false, true}) {
                const std::string what = std::string(to_string(act.kind)) + (reduced ? ", variance-reduced" : "");
                MlpEnergy grad = model.zeros_like();
                const double loss = sliced_score_gradient(ctx, model, x, v, reduced, grad);
                const cpu::ScoreGradient want =
                    cpu::sliced_gradient(cpu::params_of(model), x.data<float>(), v.data<float>(), rows, reduced);
                EXPECT_NEAR(loss, want.loss, 1e-6 * (1 + std::abs(want.loss))) << what;
                EXPECT_NEAR(sliced_score_loss(ctx, model, x, v, reduced), want.loss, 1e-6 * (1 + std::abs(want.loss)))
                    << what;
                EXPECT_LT(test::relative_error(gradient_values(grad), flat_of(model, want)), 1e-6) << what;
            }
        }
    }
}

// Mean and variance of values against mu and var within 5 standard errors (the
// variance's for normal values: var sqrt(2 / n)).
void expect_moments(const std::vector<float>& values, double mu, double var, const std::string& what) {
    const double n = static_cast<double>(values.size());
    double mean = 0, sq = 0;
    for (float v : values) mean += v / n;
    for (float v : values) sq += (v - mean) * (v - mean) / (n - 1);
    EXPECT_NEAR(mean, mu, 5 * std::sqrt(var / n)) << what;
    EXPECT_NEAR(sq, var, 5 * var * std::sqrt(2 / n)) << what;
}

TEST(Score, DrawsAreDistributedAndKeyedByRow) {
    auto rng = test::fresh_rng();
    Context ctx(Backend::Cpu);
    ctx.set_seed(rng());
    const detail::ScoreOps& ops = detail::ops(ctx).score;
    const std::int64_t rows = 3000, d = 7;
    const std::vector<float> ladder = geometric_ladder(1.0f, 0.01f, 5);
    const auto step = static_cast<std::uint32_t>(rng() % 1000);
    std::vector<float> sigma(rows), noise(rows * d);
    ops.draw_perturbation(ctx, ladder.data(), 5, rows, d, {step, 0}, sigma.data(), noise.data());
    expect_moments(noise, 0.0, 1.0, "noise");
    for (const float level : ladder) {
        double count = 0;
        for (float s : sigma) count += s == level;
        // Binomial(rows, 1/5): sd sqrt(rows p (1 - p)).
        EXPECT_NEAR(count, rows / 5.0, 5 * std::sqrt(rows * 0.2 * 0.8)) << "level " << level;
    }
    // Rows 1000 .. drawn as their own batch (first_row 1000) are the same draws.
    std::vector<float> part_sigma(500), part_noise(500 * d);
    ops.draw_perturbation(ctx, ladder.data(), 5, 500, d, {step, 1000}, part_sigma.data(), part_noise.data());
    EXPECT_EQ(part_sigma, std::vector<float>(sigma.begin() + 1000, sigma.begin() + 1500));
    EXPECT_EQ(part_noise, std::vector<float>(noise.begin() + 1000 * d, noise.begin() + 1500 * d));
    // Another step, other draws.
    std::vector<float> other(rows * d);
    ops.draw_perturbation(ctx, ladder.data(), 5, rows, d, {step + 1, 0}, sigma.data(), other.data());
    EXPECT_NE(other, noise);

    std::vector<float> v(rows * d);
    ops.draw_projections(ctx, Projection::Rademacher, rows, d, {step, 0}, v.data());
    for (float e : v) ASSERT_TRUE(e == 1.0f || e == -1.0f) << e;
    double mean = 0;
    for (float e : v) mean += e / static_cast<double>(v.size());
    EXPECT_NEAR(mean, 0.0, 5 / std::sqrt(static_cast<double>(v.size()))) << "Rademacher";
    ops.draw_projections(ctx, Projection::Gaussian, rows, d, {step, 0}, v.data());
    expect_moments(v, 0.0, 1.0, "Gaussian projections");
}

TEST(Score, GeometricLadder) {
    const std::vector<float> l = geometric_ladder(1.0f, 0.01f, 3);
    ASSERT_EQ(l.size(), 3u);
    EXPECT_FLOAT_EQ(l[0], 1.0f);
    EXPECT_NEAR(l[1], 0.1f, 1e-7);
    EXPECT_FLOAT_EQ(l[2], 0.01f);
    EXPECT_EQ(geometric_ladder(0.5f, 0.5f, 1), std::vector<float>{0.5f});
    EXPECT_THROW(geometric_ladder(1.0f, 0.01f, 0), Error);
    EXPECT_THROW(geometric_ladder(0.0f, 0.01f, 3), Error);
    EXPECT_THROW(geometric_ladder(1.0f, 2.0f, 3), Error);
    EXPECT_THROW(geometric_ladder(1.0f, 0.5f, 1), Error);
}

// A linear energy E(x) = -(w . x + b): grad_x E = -w everywhere.
MlpEnergy linear_energy(std::mt19937_64& rng, std::int64_t d) { return test::random_mlp(rng, {d, 1}, Activation::relu(), 2.0f); }

TEST(Score, AnnealedLangevinTakesAlgorithmOnesSteps) {
    auto rng = test::fresh_rng();
    Context ctx(Backend::Cpu);
    ctx.set_seed(rng());
    const std::int64_t chains = 4000, d = 3;
    const MlpEnergy model = linear_energy(rng, d);
    const std::vector<float> w = model.weight(0).to_vector<float>();
    for (const NoiseConditioning c : {NoiseConditioning::ScaledByNoise, NoiseConditioning::None}) {
        for (const bool denoise : {false, true}) {
            AnnealedLangevinParams p;
            p.sigmas = {1.0f, 0.5f, 0.25f};
            p.epsilon = 0.01f;
            p.steps_per_level = 5;
            p.denoise = denoise;
            p.conditioning = c;
            double shift = 0, var = 0;
            for (const float s : p.sigmas) {
                const double a = p.epsilon * (s / 0.25) * (s / 0.25), scale = c == NoiseConditioning::None ? 1.0 : s;
                shift += p.steps_per_level * a / (2 * scale);
                var += p.steps_per_level * a;
            }
            if (denoise) shift += 0.25 * 0.25 / (c == NoiseConditioning::None ? 1.0 : 0.25);
            Tensor x = Tensor::zeros({chains, d});
            annealed_langevin(ctx, model, x, p, static_cast<std::uint32_t>(rng() % 1000));
            const std::vector<float> out = x.to_vector<float>();
            for (std::int64_t i = 0; i < d; ++i) {
                std::vector<float> column(chains);
                for (std::int64_t r = 0; r < chains; ++r) column[r] = out[r * d + i];
                expect_moments(column, shift * w[i], var,
                               std::string(to_string(c)) + (denoise ? ", denoised" : "") + ", coordinate " +
                                   std::to_string(i));
            }
        }
    }
}

TEST(Score, TweedieStepIsTheClosedForm) {
    auto rng = test::fresh_rng();
    Context ctx(Backend::Cpu);
    const MlpEnergy model = linear_energy(rng, 4);
    const std::vector<float> w = model.weight(0).to_vector<float>();
    const Tensor x0 = test::uniform_tensor(rng, {5, 4}, -1, 1);
    Tensor x = x0.clone();
    tweedie_denoise(ctx, model, x, 0.3f, NoiseConditioning::ScaledByNoise);
    const std::vector<float> a = x0.to_vector<float>(), b = x.to_vector<float>();
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(b[i], a[i] + 0.3 * w[i % 4], 1e-6);
}

TEST(Score, BadInputIsNamedAndChangesNothing) {
    auto rng = test::fresh_rng();
    Context ctx(Backend::Cpu);
    const MlpEnergy model = test::random_mlp(rng, {3, 5, 1}, Activation::tanh());
    const Tensor x = test::uniform_tensor(rng, {4, 3}, -1, 1), noise = test::uniform_tensor(rng, {4, 3}, -1, 1);
    Tensor sigma = Tensor::from(std::vector<float>{0.1f, 0.2f, 0.0f, 0.3f}, {4});
    MlpEnergy grad = model.zeros_like();
    grad.flat().copy_from(test::uniform_tensor(rng, grad.flat().shape(), -1, 1));
    const std::vector<float> before = grad.flat().to_vector<float>();
    auto message = [](const std::function<void()>& f) {
        try {
            f();
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_NE(message([&] { denoising_score_gradient(ctx, model, x, noise, sigma, {}, grad); }).find("sigma[2]"),
              std::string::npos);
    const Tensor short_noise = test::uniform_tensor(rng, {3, 3}, -1, 1);
    EXPECT_NE(message([&] { denoising_score_gradient(ctx, model, x, short_noise, sigma, {}, grad); }).find("noise"),
              std::string::npos);
    MlpEnergy wrong({3, 4, 1}, Activation::tanh());
    EXPECT_NE(message([&] { sliced_score_gradient(ctx, model, x, noise, false, wrong); }).find("grad"), std::string::npos);
    EXPECT_EQ(grad.flat().to_vector<float>(), before);
    Tensor samples = Tensor::zeros({2, 3});
    AnnealedLangevinParams p;
    p.sigmas = {0.5f, 0.5f};
    EXPECT_NE(message([&] { annealed_langevin(ctx, model, samples, p); }).find("sigmas must decrease"), std::string::npos);
    p.sigmas = {0.5f, 0.0f};
    EXPECT_NE(message([&] { annealed_langevin(ctx, model, samples, p); }).find("sigmas[1]"), std::string::npos);
    p.sigmas = {0.5f};
    p.steps_per_level = 0;
    EXPECT_NE(message([&] { annealed_langevin(ctx, model, samples, p); }).find("steps_per_level"), std::string::npos);
    EXPECT_EQ(samples.to_vector<float>(), std::vector<float>(6, 0.0f));
    EXPECT_NE(message([&] { tweedie_denoise(ctx, model, samples, 0.0f, NoiseConditioning::None); }).find("sigma"),
              std::string::npos);
}

}  // namespace
}  // namespace ebmkit
