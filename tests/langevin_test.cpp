// Langevin reference path: the update formula term by term, its noise keying,
// reproducibility, and the clamp box.
#include <gtest/gtest.h>

#include "support.hpp"

namespace ebmkit {
namespace {

TEST(Langevin, StepIsGradientDescentPlusKeyedGaussianNoise) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    Context ctx(Backend::Cpu, seed);
    MlpEnergy model = test::random_mlp(rng, {7, 12, 3}, Activation::silu());
    const std::int64_t n = 5, d = 7;
    Tensor x0 = test::uniform_tensor(rng, {n, d}, -1.0f, 1.0f);
    Tensor grad = test::poisoned({n, d});
    energy_grad_x(ctx, model, x0, grad);

    LangevinParams params;
    params.alpha = 0.3f;
    params.sigma = 0.05f;
    const std::uint32_t step = 17;
    Tensor x = x0.clone();
    langevin_step(ctx, model, x, params, step);
    for (std::int64_t r = 0; r < n; ++r) {
        for (std::int64_t i = 0; i < d; ++i) {
            const double eps = philox_normal(seed, RngPurpose::LangevinNoise, static_cast<std::uint32_t>(r), step,
                                             static_cast<std::uint32_t>(i));
            const double expected = x0.data<float>()[r * d + i] - 0.3 * grad.data<float>()[r * d + i] + 0.05 * eps;
            EXPECT_NEAR(x.data<float>()[r * d + i], expected, 1e-6);
        }
    }
}

TEST(Langevin, ChainEqualsRepeatedStepsAndIsReproducible) {
    auto rng = test::fresh_rng();
    Context ctx(Backend::Cpu, rng());
    MlpEnergy model = test::random_mlp(rng, {6, 10, 4}, Activation::elu());
    Tensor x0 = test::uniform_tensor(rng, {9, 6}, -1.0f, 1.0f);
    LangevinParams params;
    params.alpha = 0.1f;
    params.sigma = std::sqrt(0.2f);
    Tensor chained = x0.clone(), stepped = x0.clone(), again = x0.clone();
    langevin_chain(ctx, model, chained, params, 100, 5);
    for (std::uint32_t s = 100; s < 105; ++s) langevin_step(ctx, model, stepped, params, s);
    langevin_chain(ctx, model, again, params, 100, 5);
    EXPECT_EQ(chained.to_vector<float>(), stepped.to_vector<float>());
    EXPECT_EQ(chained.to_vector<float>(), again.to_vector<float>());

    Context other(Backend::Cpu, ctx.seed() + 1);
    Tensor reseeded = x0.clone();
    langevin_chain(other, model, reseeded, params, 100, 5);
    EXPECT_NE(chained.to_vector<float>(), reseeded.to_vector<float>());
}

TEST(Langevin, ClampKeepsEveryCoordinateInTheBox) {
    auto rng = test::fresh_rng();
    Context ctx(Backend::Cpu, rng());
    MlpEnergy model = test::random_mlp(rng, {8, 8, 2}, Activation::relu(), 4.0f);
    Tensor x = test::uniform_tensor(rng, {16, 8}, -1.0f, 1.0f);
    LangevinParams params;
    params.alpha = 50.0f;
    params.sigma = 3.0f;
    params.clamp = true;
    params.lo = -0.5f;
    params.hi = 0.25f;
    langevin_chain(ctx, model, x, params, 0, 10);
    int at_bound = 0;
    for (float v : x.to_vector<float>()) {
        ASSERT_GE(v, -0.5f);
        ASSERT_LE(v, 0.25f);
        at_bound += v == -0.5f || v == 0.25f;
    }
    EXPECT_GT(at_bound, 0);  // the box was actually hit
}

TEST(Langevin, ZeroNoiseFollowsTheNegativeGradient) {
    auto rng = test::fresh_rng();
    Context ctx(Backend::Cpu, rng());
    MlpEnergy model = test::random_mlp(rng, {4, 16, 5}, Activation::softplus());
    Tensor x = test::uniform_tensor(rng, {32, 4}, -1.0f, 1.0f);
    Tensor e0 = test::poisoned({32}), e1 = test::poisoned({32});
    energy(ctx, model, x, e0);
    LangevinParams params;
    params.alpha = 1e-3f;
    params.sigma = 0.0f;
    langevin_chain(ctx, model, x, params, 0, 20);
    energy(ctx, model, x, e1);
    for (int r = 0; r < 32; ++r) EXPECT_LE(e1.data<float>()[r], e0.data<float>()[r] + 1e-6f);
}

}  // namespace
}  // namespace ebmkit
