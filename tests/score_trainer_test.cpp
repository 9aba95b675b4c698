// ScoreTrainer (ebmkit/score_trainer.hpp) on data whose score is known in closed form:
// N(mu, s^2 I) in two dimensions. Denoising at one level sigma fits the smoothed data's
// score -(x - mu) / (s^2 + sigma^2); the sliced losses fit the data's own -(x - mu) / s^2
// (Hyvarinen's objective). Then: an interrupted epoch resumed from a checkpoint gives the
// uninterrupted run's bits, the divergence guard rolls back, bad options are named.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "support.hpp"

namespace ebmkit {
namespace {

constexpr double mu[2] = {0.5, -0.3};
constexpr double spread = 0.5;

Tensor gaussian_data(std::mt19937_64& rng, std::int64_t rows) {
    std::normal_distribution<float> z;
    std::vector<float> x(static_cast<std::size_t>(rows * 2));
    for (std::int64_t r = 0; r < rows; ++r) {
        for (int i = 0; i < 2; ++i) x[r * 2 + i] = static_cast<float>(mu[i] + spread * z(rng));
    }
    return Tensor::from(x, {rows, 2});
}

// The relative L2 error of the model's score s(x) = -grad_x E against -(x - mu) / var over
// points within a standard deviation of mu, where the data is dense.
double score_error(Context& ctx, const MlpEnergy& model, double var) {
    std::vector<float> points;
    for (int i = -4; i <= 4; ++i) {
        for (int j = -4; j <= 4; ++j) {
            points.push_back(static_cast<float>(mu[0] + spread * i / 4.0));
            points.push_back(static_cast<float>(mu[1] + spread * j / 4.0));
        }
    }
    const std::int64_t n = static_cast<std::int64_t>(points.size() / 2);
    const Tensor x = Tensor::from(points, {n, 2});
    Tensor g({n, 2});
    energy_grad_x(ctx, model, x, g);
    const std::vector<float> grad = g.to_vector<float>();
    std::vector<double> got, want;
    for (std::int64_t r = 0; r < n; ++r) {
        for (int i = 0; i < 2; ++i) {
            got.push_back(-grad[r * 2 + i]);
            want.push_back(-(points[r * 2 + i] - mu[i]) / var);
        }
    }
    return test::relative_error(got, want);
}

MlpEnergy fresh_model(std::uint64_t seed) {
    MlpEnergy model({2, 32, 32, 1}, Activation::softplus());
    model.init_uniform(seed);
    return model;
}

TEST(ScoreTrainer, EachLossFitsTheGaussiansScore) {
    auto rng = test::fresh_rng();
    const Tensor data = gaussian_data(rng, 2048);
    const std::uint64_t seed = rng();
    for (const ScoreLoss loss : {ScoreLoss::Denoising, ScoreLoss::Sliced, ScoreLoss::SlicedVarianceReduced}) {
        Context ctx(Backend::Cpu);
        ctx.set_seed(seed);
        MlpEnergy model = fresh_model(seed);
        ScoreTrainOptions o;
        o.loss = loss;
        o.sigmas = {0.5f};
        o.conditioning = NoiseConditioning::None;
        o.sigma_squared_weight = false;
        o.batch = 256;
        o.optimizer.lr = 3e-3f;
        const double var = spread * spread + (loss == ScoreLoss::Denoising ? 0.25 : 0.0);
        const double before = score_error(ctx, model, var);
        ScoreTrainer trainer(ctx, model, o);
        const double first = trainer.evaluate(data);
        for (int epoch = 0; epoch < 30; ++epoch) trainer.train_epoch(data);
        const double after = score_error(ctx, model, var);
        std::printf("[ %-8s ] score error %.3f -> %.3f, loss %.4f -> %.4f\n", to_string(loss), before, after, first,
                    trainer.evaluate(data));
        // Ten seeds gave errors 0.05 - 0.19 (DSM the noisiest); the wrong fits give 1 or
        // more (the sign flipped: 2; no score: 1; DSM fitting the unsmoothed score: 1).
        EXPECT_LT(after, 0.35) << to_string(loss);
        EXPECT_LT(trainer.evaluate(data), first) << to_string(loss);
        EXPECT_EQ(trainer.iterations(), 240);
        EXPECT_TRUE(trainer.events().empty());
    }
}

TEST(ScoreTrainer, AnInterruptedEpochResumesBitForBit) {
    auto rng = test::fresh_rng();
    const Tensor data = gaussian_data(rng, 640);
    const std::uint64_t seed = rng();
    ScoreTrainOptions o;
    o.batch = 64;
    o.sigmas = geometric_ladder(1.0f, 0.1f, 4);
    Context ctx(Backend::Cpu);
    ctx.set_seed(seed);
    MlpEnergy straight = fresh_model(seed);
    ScoreTrainer whole(ctx, straight, o);
    whole.train_epoch(data);
    whole.train_epoch(data);

    MlpEnergy resumed = fresh_model(seed);
    const std::string path =
        (std::filesystem::temp_directory_path() / ("ebmkit-score-" + std::to_string(seed) + ".safetensors")).string();
    {
        ScoreTrainer first(ctx, resumed, o);
        std::atomic<bool> stop{false};
        const ScoreStepStats s =
            first.train_epoch(data, [&](std::int64_t done, std::int64_t, const ScoreStepStats&) { stop = done == 4; }, &stop);
        EXPECT_TRUE(s.interrupted);
        EXPECT_EQ(first.batch_in_epoch(), 4);
        first.save(path);
    }
    MlpEnergy loaded = fresh_model(seed + 1);
    ScoreTrainer second(ctx, loaded, o);
    second.load(path);
    std::filesystem::remove(path);
    EXPECT_EQ(second.batch_in_epoch(), 4);
    second.train_epoch(data);
    second.train_epoch(data);
    EXPECT_EQ(second.iterations(), whole.iterations());
    EXPECT_TRUE(test::same_bytes(loaded.flat().to_vector<float>(), straight.flat().to_vector<float>()));
}

TEST(ScoreTrainer, TheGuardRollsBackANonFiniteLoss) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    Context ctx(Backend::Cpu);
    ctx.set_seed(seed);
    MlpEnergy model = fresh_model(seed);
    ScoreTrainOptions o;
    o.batch = 32;
    o.snapshot_every = 2;
    ScoreTrainer trainer(ctx, model, o);
    const Tensor good = gaussian_data(rng, 32);
    for (int i = 0; i < 3; ++i) EXPECT_FALSE(trainer.step(good).rolled_back);
    // The snapshot after step 2; step 3 changed the model since.
    std::vector<float> bad = good.to_vector<float>();
    bad[7] = std::nanf("");
    const std::vector<float> at_step_three = model.flat().to_vector<float>();
    const Tensor bad_batch = Tensor::from(bad, {32, 2});
    const ScoreStepStats s = trainer.step(bad_batch);
    EXPECT_TRUE(s.rolled_back);
    EXPECT_FALSE(std::isfinite(s.loss));
    EXPECT_NE(model.flat().to_vector<float>(), at_step_three) << "rolled back to the snapshot of step 2";
    EXPECT_EQ(trainer.iterations(), 3);
    EXPECT_EQ(trainer.optimizer().steps(), 2);
    ASSERT_EQ(trainer.events().size(), 1u);
    EXPECT_NE(trainer.events()[0].find("rolled back"), std::string::npos);
    EXPECT_FLOAT_EQ(trainer.optimizer().options().lr, o.optimizer.lr / 2);
    EXPECT_FALSE(trainer.step(good).rolled_back);
}

TEST(ScoreTrainer, BadOptionsAreNamed) {
    Context ctx(Backend::Cpu);
    MlpEnergy model = fresh_model(1);
    auto message = [&](const ScoreTrainOptions& o) {
        try {
            ScoreTrainer trainer(ctx, model, o);
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    ScoreTrainOptions o;
    o.sigmas = {0.1f, 0.2f};
    EXPECT_NE(message(o).find("sigmas must decrease"), std::string::npos);
    o.sigmas = {};
    EXPECT_NE(message(o).find("empty"), std::string::npos);
    o = ScoreTrainOptions();
    o.batch = 0;
    EXPECT_NE(message(o).find("options.batch"), std::string::npos);
    o = ScoreTrainOptions();
    o.snapshot_every = 0;
    EXPECT_NE(message(o).find("snapshot_every"), std::string::npos);
}

}  // namespace
}  // namespace ebmkit
