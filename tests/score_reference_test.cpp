// The score family's CPU twin (host/cpu/score.hpp), the oracle of the second-order
// kernels to come, against independent references in double:
//   - jets (host/cpu/jet.hpp): each function's t and t^2 coefficients against central
//     differences of the function along the jet;
//   - the jet passes' E and grad_x E against MlpRow's double passes;
//   - the denoising and sliced losses' parameter gradients against central differences of
//     the losses, for every activation (inputs kept away from the kinks of ReLU, leaky ReLU
//     and ELU, where the losses are not smooth), at noise-conditional and weighted settings;
//   - the sliced loss's v^T H v against central differences of MlpRow's gradients, and its
//     mean over every Rademacher projection against Hyvarinen's objective
//     tr(grad_x s) + 1/2 |s|^2 with the trace summed exactly;
//   - the sign: descending the denoising gradient on Gaussian data fits the smoothed
//     Gaussian's score -(x - mu) / (s^2 + sigma^2).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "host/cpu/jet.hpp"
#include "host/cpu/score.hpp"
#include "support.hpp"

namespace ebmkit {
namespace {

using cpu::Jet;

TEST(Jets, CoefficientsAreTheDerivativesAlongTheJet) {
    const Jet a(0.3, -0.7, 0.25), b(1.4, 0.2, -0.1);
    // a(t), b(t) as functions of t; a jet's coefficients are f(0), f'(0), f''(0) / 2.
    auto at = [](const Jet& j, double t) { return j.c[0] + j.c[1] * t + j.c[2] * t * t; };
    const std::vector<std::pair<std::string, std::function<Jet(const Jet&, const Jet&)>>> jets = {
        {"mul", [](const Jet& x, const Jet& y) { return x * y; }},
        {"div", [](const Jet& x, const Jet& y) { return x / y; }},
        {"exp", [](const Jet& x, const Jet&) { return exp(x); }},
        {"expm1", [](const Jet& x, const Jet&) { return expm1(x); }},
        {"log", [](const Jet&, const Jet& y) { return log(y); }},
        {"log1p", [](const Jet& x, const Jet&) { return log1p(x); }},
        {"tanh", [](const Jet& x, const Jet&) { return tanh(x); }},
    };
    const std::vector<std::function<double(double, double)>> values = {
        [](double x, double y) { return x * y; },          [](double x, double y) { return x / y; },
        [](double x, double) { return std::exp(x); },      [](double x, double) { return std::expm1(x); },
        [](double, double y) { return std::log(y); },      [](double x, double) { return std::log1p(x); },
        [](double x, double) { return std::tanh(x); }};
    const double h = 1e-4;
    for (std::size_t k = 0; k < jets.size(); ++k) {
        const Jet j = jets[k].second(a, b);
        auto f = [&](double t) { return values[k](at(a, t), at(b, t)); };
        EXPECT_NEAR(j.c[0], f(0), 1e-15) << jets[k].first;
        EXPECT_NEAR(j.c[1], (f(h) - f(-h)) / (2 * h), 1e-7) << jets[k].first;
        EXPECT_NEAR(j.c[2], (f(h) - 2 * f(0) + f(-h)) / (2 * h * h), 1e-5) << jets[k].first;
    }
}

const std::vector<Activation> activations = {Activation::relu(), Activation::leaky_relu(0.1f), Activation::elu(),
                                             Activation::silu(), Activation::tanh(), Activation::softplus()};

bool kinked(const Activation& a) {
    return a.kind == ActivationKind::Relu || a.kind == ActivationKind::LeakyRelu || a.kind == ActivationKind::Elu;
}

// Whether any hidden pre-activation at x lies within 0.02 of a kink (0).
bool near_a_kink(const cpu::MlpParams<const float>& p, const float* x) {
    for (const auto& layer : cpu::jet_pass(p, x, nullptr).hidden) {
        for (const Jet& z : layer) {
            if (std::abs(z.value()) < 0.02) return true;
        }
    }
    return false;
}

TEST(ScoreReference, JetPassesAreTheDoublePasses) {
    auto rng = test::fresh_rng();
    for (const Activation& act : activations) {
        const MlpEnergy model = test::random_mlp(rng, {5, 7, 6, 3}, act, 1.5f);
        const cpu::MlpParams<const float> p = cpu::params_of(model);
        const std::vector<float> x = test::uniform_values(rng, 5, -2, 2);
        cpu::MlpRow row(p);
        row.forward(x.data());
        std::vector<double> dlogits;
        row.energy_dlogits(-1, dlogits);
        row.backward(dlogits.data());
        const cpu::JetPass pass = cpu::jet_pass(p, x.data(), nullptr);
        EXPECT_NEAR(pass.energy.value(), row.energy(-1), 1e-12) << to_string(act.kind);
        for (int j = 0; j < 5; ++j) EXPECT_NEAR(pass.input_grad[j].value(), row.input_grad()[j], 1e-12);
    }
}

// Central differences of loss(params) for every parameter of a model against grad.
void expect_gradient(MlpEnergy& model, const cpu::ScoreGradient& grad, const std::function<double()>& loss,
                     double h, const std::string& what) {
    int checked = 0;
    for (int l = 0; l < model.num_layers(); ++l) {
        for (int which = 0; which < 2; ++which) {
            TensorView t = which == 0 ? model.weight(l) : model.bias(l);
            const std::vector<double>& want = which == 0 ? grad.weight[l] : grad.bias[l];
            for (std::int64_t k = 0; k < t.numel(); ++k) {
                float& w = t.data<float>()[k];
                const float saved = w, up = saved + static_cast<float>(h), down = saved - static_cast<float>(h);
                w = up;
                const double lu = loss();
                w = down;
                const double ld = loss();
                w = saved;
                const double fd = (lu - ld) / (double(up) - double(down));
                EXPECT_NEAR(want[k], fd, 2e-5 * (1 + std::abs(fd)))
                    << what << ": layer " << l << (which == 0 ? " weight " : " bias ") << k;
                ++checked;
            }
        }
    }
    EXPECT_GT(checked, 50) << what;
}

TEST(ScoreReference, DenoisingGradientsAreTheLossesDerivatives) {
    auto rng = test::fresh_rng();
    const std::int64_t rows = 5, d = 4;
    for (const Activation& act : activations) {
        MlpEnergy model = test::random_mlp(rng, {d, 6, 5, 2}, act, 1.5f);
        const cpu::MlpParams<const float> p = cpu::params_of(static_cast<const MlpEnergy&>(model));
        std::vector<float> x, noise = test::uniform_values(rng, rows * d, -2, 2);
        const std::vector<float> sigma = {0.1f, 0.3f, 1.0f, 0.05f, 0.5f};
        // Rows whose noisy inputs keep away from the kinks.
        for (std::int64_t r = 0; r < rows; ++r) {
            std::vector<float> row, noisy(d);
            do {
                row = test::uniform_values(rng, d, -1, 1);
                for (int j = 0; j < d; ++j) noisy[j] = static_cast<float>(row[j] + double(sigma[r]) * noise[r * d + j]);
            } while (kinked(act) && near_a_kink(p, noisy.data()));
            x.insert(x.end(), row.begin(), row.end());
        }
        for (const cpu::DenoisingOptions o : {cpu::DenoisingOptions{false, false}, cpu::DenoisingOptions{true, true}}) {
            const std::string what = std::string(to_string(act.kind)) + (o.noise_conditional ? " conditional" : "");
            const cpu::ScoreGradient g = cpu::denoising_gradient(p, x.data(), noise.data(), sigma.data(), rows, o);
            const auto loss = [&] { return cpu::denoising_loss(p, x.data(), noise.data(), sigma.data(), rows, o); };
            EXPECT_NEAR(g.loss, loss(), 1e-12 * (1 + g.loss)) << what;
            expect_gradient(model, g, loss, 1e-3, what);
        }
    }
}

TEST(ScoreReference, SlicedGradientsAreTheLossesDerivatives) {
    auto rng = test::fresh_rng();
    const std::int64_t rows = 4, d = 4;
    for (const Activation& act : activations) {
        MlpEnergy model = test::random_mlp(rng, {d, 6, 5, 2}, act, 1.5f);
        const cpu::MlpParams<const float> p = cpu::params_of(static_cast<const MlpEnergy&>(model));
        std::vector<float> x;
        for (std::int64_t r = 0; r < rows; ++r) {
            std::vector<float> row;
            do row = test::uniform_values(rng, d, -1, 1);
            while (kinked(act) && near_a_kink(p, row.data()));
            x.insert(x.end(), row.begin(), row.end());
        }
        std::vector<float> v(rows * d);
        for (auto& e : v) e = rng() % 2 ? 1.0f : -1.0f;
        for (bool reduced : {false, true}) {
            const std::string what = std::string(to_string(act.kind)) + (reduced ? " variance-reduced" : "");
            const cpu::ScoreGradient g = cpu::sliced_gradient(p, x.data(), v.data(), rows, reduced);
            expect_gradient(model, g, [&] { return cpu::sliced_gradient(p, x.data(), v.data(), rows, reduced).loss; },
                            1e-3, what);
        }
    }
}

// v^T H v by central differences of the double passes' gradients, and the sliced loss's
// mean over all 2^D Rademacher projections: E[v^T H v] = tr H and E[(v . s)^2] = |s|^2
// exactly, so both forms average to Hyvarinen's tr(grad_x s) + 1/2 |s|^2 = -tr H + 1/2 |g|^2.
TEST(ScoreReference, SlicedLossIsHyvarinensObjectiveOverEveryProjection) {
    auto rng = test::fresh_rng();
    const int d = 4;
    for (const Activation& act : {Activation::silu(), Activation::tanh(), Activation::softplus()}) {
        const MlpEnergy model = test::random_mlp(rng, {d, 8, 6, 3}, act, 1.5f);
        const cpu::MlpParams<const float> p = cpu::params_of(model);
        const std::vector<float> x = test::uniform_values(rng, d, -1, 1);
        cpu::MlpRow row(p);
        auto grad_at = [&](const std::vector<double>& at) {
            std::vector<float> f(at.begin(), at.end());
            row.forward(f.data());
            std::vector<double> dlogits;
            row.energy_dlogits(-1, dlogits);
            row.backward(dlogits.data());
            return row.input_grad();
        };
        double trace = 0, gg = 0;
        const cpu::JetPass at = cpu::jet_pass(p, x.data(), nullptr);
        for (int j = 0; j < d; ++j) gg += at.input_grad[j].value() * at.input_grad[j].value();
        for (int i = 0; i < d; ++i) {
            std::vector<double> e(d, 0.0);
            e[i] = 1.0;
            trace += cpu::jet_pass(p, x.data(), e.data()).input_grad[i].c[1];
            // H_ii by central differences of the gradient (float inputs: a step of 2^-10).
            const double h = 1.0 / 1024;
            std::vector<double> up(x.begin(), x.end()), down(x.begin(), x.end());
            up[i] += h;
            down[i] -= h;
            const double fd = (grad_at(up)[i] - grad_at(down)[i]) / (2 * h);
            EXPECT_NEAR(cpu::jet_pass(p, x.data(), e.data()).input_grad[i].c[1], fd, 1e-4 * (1 + std::abs(fd)))
                << to_string(act.kind) << " H_" << i << i;
        }
        const double hyvarinen = -trace + gg / 2;
        for (bool reduced : {false, true}) {
            double mean = 0;
            for (int signs = 0; signs < (1 << d); ++signs) {
                std::vector<float> v(d);
                for (int j = 0; j < d; ++j) v[j] = signs >> j & 1 ? 1.0f : -1.0f;
                mean += cpu::sliced_gradient(p, x.data(), v.data(), 1, reduced).loss / (1 << d);
            }
            EXPECT_NEAR(mean, hyvarinen, 1e-10 * (1 + std::abs(hyvarinen))) << to_string(act.kind) << reduced;
        }
    }
}

// The sign (torchebm's DSM shipped with it flipped): descending the denoising gradient
// on data from N(mu, s^2) at noise level sigma moves the model's score towards the
// optimum -(x - mu) / (s^2 + sigma^2). A {1, 16, 1} softplus MLP (E = -f) trained by Adam
// on 512 fixed points with fresh noise each epoch: its score's least-squares line over
// mu +- 2 sd has the slope of the points' own smoothed Gaussian, -1 / (their variance +
// sigma^2), within 15%, and crosses zero within 0.1 sd of their mean (over 25 seeds the
// crossing stayed within 0.033 sd of the mean; against mu itself the points' sampling
// error, 0.035 sd, made it fail at 0.13 sd once in CI).
TEST(ScoreReference, DenoisingDescentMovesTheScoreTowardsTheSmoothedGaussians) {
    auto rng = test::fresh_rng();
    const double mu = 0.5, s = 0.4, sigma = 0.3, v = s * s + sigma * sigma;
    MlpEnergy model = test::random_mlp(rng, {1, 16, 1}, Activation::softplus());
    const cpu::MlpParams<const float> p = cpu::params_of(static_cast<const MlpEnergy&>(model));
    std::normal_distribution<double> normal(0.0, 1.0);
    const int n = 512;
    std::vector<float> x(n), noise(n), sigmas(n, static_cast<float>(sigma));
    for (auto& e : x) e = static_cast<float>(mu + s * normal(rng));
    std::vector<TensorView> params = model.parameters();
    std::vector<std::vector<double>> m1, m2;
    for (const TensorView& t : params) {
        m1.emplace_back(static_cast<std::size_t>(t.numel()), 0.0);
        m2.emplace_back(static_cast<std::size_t>(t.numel()), 0.0);
    }
    const int epochs = 400;
    for (int epoch = 1; epoch <= epochs; ++epoch) {
        for (auto& e : noise) e = static_cast<float>(normal(rng));
        const cpu::ScoreGradient g = cpu::denoising_gradient(p, x.data(), noise.data(), sigmas.data(), n, {});
        const double lr = 0.02 * (epoch < epochs / 2 ? 1.0 : 0.1);
        for (std::size_t k = 0; k < params.size(); ++k) {
            const std::vector<double>& grad = k % 2 == 0 ? g.weight[k / 2] : g.bias[k / 2];
            for (std::size_t i = 0; i < grad.size(); ++i) {
                m1[k][i] = 0.9 * m1[k][i] + 0.1 * grad[i];
                m2[k][i] = 0.999 * m2[k][i] + 0.001 * grad[i] * grad[i];
                const double step = lr * (m1[k][i] / (1 - std::pow(0.9, epoch))) /
                                    (std::sqrt(m2[k][i] / (1 - std::pow(0.999, epoch))) + 1e-8);
                params[k].data<float>()[i] -= static_cast<float>(step);
            }
        }
    }
    // The score's least-squares line over mu +- 2 sqrt(v).
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    const int points = 41;
    for (int i = 0; i < points; ++i) {
        const float at = static_cast<float>(mu + (i / (points - 1.0) * 4 - 2) * std::sqrt(v));
        const double score = -cpu::jet_pass(p, &at, nullptr).input_grad[0].value();
        sx += at;
        sy += score;
        sxx += double(at) * at;
        sxy += at * score;
    }
    const double slope = (points * sxy - sx * sy) / (points * sxx - sx * sx), intercept = (sy - slope * sx) / points;
    // The model fits the 512 points' own smoothed density: its optimum is centred at their
    // mean with their variance plus sigma^2 (the points' sampling error, 0.035 sd in the
    // mean, is no error of the descent's).
    double mean = 0, var = 0;
    for (const float e : x) mean += e / static_cast<double>(n);
    for (const float e : x) var += (e - mean) * (e - mean) / static_cast<double>(n);
    const double v_points = var + sigma * sigma;
    EXPECT_NEAR(slope, -1 / v_points, 0.15 / v_points);
    EXPECT_NEAR(-intercept / slope, mean, 0.1 * std::sqrt(v_points));
}

}  // namespace
}  // namespace ebmkit
