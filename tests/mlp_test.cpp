// MLP energy reference path against an independent double forward pass and
// central differences of it, for every activation, K = 1 and K > 1.
#include <gtest/gtest.h>

#include "mlp_reference.hpp"
#include "support.hpp"

namespace ebmkit {
namespace {

const Activation all_activations[] = {Activation::relu(),     Activation::leaky_relu(0.2f), Activation::elu(),
                                      Activation::silu(),     Activation::tanh(),           Activation::softplus()};

std::vector<double> row_of(const Tensor& x, std::int64_t r) {
    const std::int64_t d = x.dim(1);
    return std::vector<double>(x.data<float>() + r * d, x.data<float>() + (r + 1) * d);
}

class MlpPerActivation : public ::testing::TestWithParam<Activation> {};

TEST_P(MlpPerActivation, LogitsAndEnergiesMatchIndependentForward) {
    Context ctx(Backend::Cpu);
    auto rng = test::fresh_rng();
    for (const auto& widths : std::vector<std::vector<std::int64_t>>{{5, 7, 3}, {9, 1}, {4, 16, 8, 1}}) {
        MlpEnergy model = test::random_mlp(rng, widths, GetParam());
        const std::int64_t n = 6, k = widths.back();
        Tensor x = test::uniform_tensor(rng, {n, widths.front()}, -2.0f, 2.0f);
        std::vector<std::int32_t> y(n);
        for (auto& v : y) v = static_cast<std::int32_t>(rng() % k);
        Tensor labels = Tensor::from(y, {n});

        Tensor logits = test::poisoned({n, k}), e = test::poisoned({n}), ey = test::poisoned({n});
        mlp_logits(ctx, model, x, logits);
        energy(ctx, model, x, e);
        energy(ctx, model, x, labels, ey);

        std::vector<double> ref_logits, ref_e, ref_ey;
        for (std::int64_t r = 0; r < n; ++r) {
            const auto f = test::reference_logits(model, row_of(x, r));
            ref_logits.insert(ref_logits.end(), f.begin(), f.end());
            ref_e.push_back(-test::reference_lse(f));
            ref_ey.push_back(-f[y[r]]);
        }
        EXPECT_LT(test::relative_error(logits.to_vector<float>(), ref_logits), 1e-6);
        EXPECT_LT(test::relative_error(e.to_vector<float>(), ref_e), 1e-6);
        EXPECT_LT(test::relative_error(ey.to_vector<float>(), ref_ey), 1e-6);
    }
}

TEST_P(MlpPerActivation, EnergyGradXMatchesCentralDifferences) {
    Context ctx(Backend::Cpu);
    auto rng = test::fresh_rng();
    for (const auto& widths : std::vector<std::vector<std::int64_t>>{{6, 11, 4}, {5, 8, 1}, {3, 9, 9, 5}}) {
        MlpEnergy model = test::random_mlp(rng, widths, GetParam(), 2.0f);
        const std::int64_t n = 4, d = widths.front(), k = widths.back();
        Tensor x = test::uniform_rows_clear_of_kinks(rng, model, n, -2.0f, 2.0f);
        std::vector<std::int32_t> y(n);
        for (auto& v : y) v = static_cast<std::int32_t>(rng() % k);
        Tensor labels = Tensor::from(y, {n});
        for (bool conditional : {false, true}) {
            Tensor grad = test::poisoned({n, d});
            if (conditional) energy_grad_x(ctx, model, x, labels, grad);
            else energy_grad_x(ctx, model, x, grad);
            std::vector<double> ref;
            const double h = 1e-6;
            for (std::int64_t r = 0; r < n; ++r) {
                const int label = conditional ? y[r] : -1;
                for (std::int64_t i = 0; i < d; ++i) {
                    auto plus = row_of(x, r), minus = row_of(x, r);
                    plus[i] += h;
                    minus[i] -= h;
                    ref.push_back((test::reference_energy(model, plus, label) -
                                   test::reference_energy(model, minus, label)) / (2 * h));
                }
            }
            EXPECT_LT(test::relative_error(grad.to_vector<float>(), ref), 1e-5)
                << "widths " << widths.size() << " conditional " << conditional;
        }
    }
}

// L = sum_r sum_k G[r, k] f(x_r)[k] has dL/dlogits = G exactly, so parameter
// gradients are checked against central differences of that L.
TEST_P(MlpPerActivation, ParamGradMatchesCentralDifferences) {
    Context ctx(Backend::Cpu);
    auto rng = test::fresh_rng();
    const std::vector<std::int64_t> widths{5, 6, 4, 3};
    MlpEnergy model = test::random_mlp(rng, widths, GetParam(), 2.0f);
    const std::int64_t n = 7, k = widths.back();
    Tensor x = test::uniform_rows_clear_of_kinks(rng, model, n, -2.0f, 2.0f);
    Tensor g = test::uniform_tensor(rng, {n, k}, -1.0f, 1.0f);
    MlpEnergy grad = model.zeros_like();
    param_grad(ctx, model, x, g, grad);

    auto loss = [&](const test::ParamPerturbation& p) {
        double total = 0;
        for (std::int64_t r = 0; r < n; ++r) {
            const auto f = test::reference_logits(model, row_of(x, r), p);
            for (std::int64_t j = 0; j < k; ++j) total += g.data<float>()[r * k + j] * f[j];
        }
        return total;
    };
    for (int l = 0; l < model.num_layers(); ++l) {
        for (bool bias : {false, true}) {
            const ConstTensorView got = bias ? grad.bias(l) : grad.weight(l);
            const std::vector<double> ref = test::central_differences(model, l, bias, loss);
            EXPECT_LT(test::relative_error(got.to_vector<float>(), ref), 1e-5) << "layer " << l << " bias " << bias;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(AllActivations, MlpPerActivation, ::testing::ValuesIn(all_activations),
                         [](const auto& info) { return std::string(to_string(info.param.kind)); });

TEST(MlpParamGrad, AccumulateAddsToExistingGradient) {
    Context ctx(Backend::Cpu);
    auto rng = test::fresh_rng();
    MlpEnergy model = test::random_mlp(rng, {4, 5, 2}, Activation::tanh());
    Tensor x = test::uniform_tensor(rng, {3, 4}, -1.0f, 1.0f);
    Tensor g = test::uniform_tensor(rng, {3, 2}, -1.0f, 1.0f);
    MlpEnergy once = model.zeros_like(), twice = model.zeros_like();
    param_grad(ctx, model, x, g, once);
    param_grad(ctx, model, x, g, twice);
    param_grad(ctx, model, x, g, twice, /*accumulate=*/true);
    for (int l = 0; l < model.num_layers(); ++l) {
        const auto a = once.weight(l).to_vector<float>(), b = twice.weight(l).to_vector<float>();
        for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(b[i], 2 * a[i], 1e-6);
        const auto c = once.bias(l).to_vector<float>(), d = twice.bias(l).to_vector<float>();
        for (std::size_t i = 0; i < c.size(); ++i) EXPECT_NEAR(d[i], 2 * c[i], 1e-6);
    }
}

TEST(MlpEnergy, KEqualsOneEnergyIsMinusTheLogit) {
    Context ctx(Backend::Cpu);
    auto rng = test::fresh_rng();
    MlpEnergy model = test::random_mlp(rng, {3, 4, 1}, Activation::elu());
    Tensor x = test::uniform_tensor(rng, {5, 3}, -1.0f, 1.0f);
    Tensor logits = test::poisoned({5, 1}), e = test::poisoned({5});
    mlp_logits(ctx, model, x, logits);
    energy(ctx, model, x, e);
    for (int r = 0; r < 5; ++r) EXPECT_EQ(e.data<float>()[r], -logits.data<float>()[r]);
}

TEST(MlpEnergy, InitUniformIsReproducibleAndWithinPyTorchBounds) {
    MlpEnergy a({784, 256, 10}, Activation::elu()), b({784, 256, 10}, Activation::elu());
    a.init_uniform(123);
    b.init_uniform(123);
    for (int l = 0; l < 2; ++l) {
        const auto wa = a.weight(l).to_vector<float>();
        EXPECT_EQ(wa, b.weight(l).to_vector<float>());
        const float bound = 1.0f / std::sqrt(static_cast<float>(a.widths()[l]));
        float lo = 1, hi = -1;
        for (float v : wa) {
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
        EXPECT_GE(lo, -bound);
        EXPECT_LE(hi, bound);
        EXPECT_LT(lo, -0.9f * bound);  // the range is used
        EXPECT_GT(hi, 0.9f * bound);
    }
    b.init_uniform(124);
    EXPECT_NE(a.weight(0).to_vector<float>(), b.weight(0).to_vector<float>());
}

}  // namespace
}  // namespace ebmkit
