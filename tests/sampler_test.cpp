// The replay buffer; the LangevinSampler's starts and rounds; and both samplers
// against a 2-D energy normalised on a grid. (MALA, clipping, traces and chain
// offsets of langevin_chain: tests/langevin_test.cpp.)
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "ebmkit/philox.hpp"
#include "support.hpp"
#include "two_dimensional_energy.hpp"

namespace ebmkit {
namespace {

std::vector<std::int32_t> values(const Tensor& t) { return t.to_vector<std::int32_t>(); }

TEST(ReplayBuffer, DrawsKeyedSlotsAndReinitialisesAFraction) {
    Context ctx(Backend::Cpu, 11);
    ReplayBuffer buffer(ctx, 1000, 3, -1.0f, 1.0f);
    // Slot s holds chain s's uniform draw of step 0: -1 + 2 u.
    const auto initial = buffer.samples().to_vector<float>();
    for (std::uint32_t slot = 0; slot < 1000; ++slot) {
        for (std::uint32_t i = 0; i < 3; ++i) {
            const float u = philox_uniform(11, RngPurpose::ChainInit, slot, 0, i);
            ASSERT_EQ(initial[slot * 3 + i], -1.0f + 2.0f * u) << slot << ", " << i;
        }
    }
    Tensor slots;
    const Tensor none = buffer.draw(50, 0.0f, 0, slots);
    ASSERT_EQ(slots.shape(), Shape({50}));
    for (int b = 0; b < 50; ++b) {
        const std::int32_t slot = slots.data<std::int32_t>()[b];
        ASSERT_GE(slot, 0);
        for (int i = 0; i < 3; ++i) EXPECT_EQ(none.data<float>()[b * 3 + i], buffer.samples().data<float>()[slot * 3 + i]);
    }
    Tensor again;
    EXPECT_EQ(buffer.draw(50, 0.0f, 0, again).to_vector<float>(), none.to_vector<float>());
    buffer.draw(50, 1.0f, 1, again);
    for (auto s : values(again)) EXPECT_EQ(s, -1);
    // About 5% fresh over 20000 draws.
    buffer.draw(20000, 0.05f, 2, again);
    const auto drawn = values(again);
    const auto fresh = std::count(drawn.begin(), drawn.end(), -1);
    EXPECT_NEAR(fresh / 20000.0, 0.05, 6 * std::sqrt(0.05 * 0.95 / 20000));
    // store writes rows back to their slots.
    const Tensor rows = test::filled({50, 3}, 0.25f);
    buffer.store(slots, rows, 0);
    for (auto s : values(slots)) EXPECT_EQ(buffer.samples().data<float>()[s * 3], 0.25f);
    EXPECT_THROW(ReplayBuffer(ctx, 0, 3, -1, 1), Error);
    EXPECT_THROW(buffer.draw(5, 1.5f, 0, slots), Error);
    const Tensor beyond = Tensor::from(std::vector<std::int32_t>{1000}, {1}), below = Tensor::from(std::vector<std::int32_t>{-2}, {1});
    const Tensor one_row = test::filled({1, 3}, 0.0f);
    EXPECT_THROW(buffer.store(beyond, one_row, 0), Error);
    EXPECT_THROW(buffer.store(below, one_row, 0), Error);
}

// Of two rows of a round bound for one slot, the later one stays (the device's store
// claims each slot for its last row; the CPU writes rows in order).
TEST(ReplayBuffer, TheLaterOfTwoRowsForOneSlotStays) {
    Context ctx(Backend::Cpu, 3);
    ReplayBuffer buffer(ctx, 10, 2, -1.0f, 1.0f);
    const Tensor slots = Tensor::from(std::vector<std::int32_t>{4, 7, 4, -1}, {4});
    const Tensor rows = Tensor::from(std::vector<float>{1, 1, 2, 2, 3, 3, 5, 5}, {4, 2});
    buffer.store(slots, rows, 0);
    EXPECT_EQ(buffer.samples().data<float>()[4 * 2], 3.0f);
    EXPECT_EQ(buffer.samples().data<float>()[7 * 2], 2.0f);
}

// A class-conditional buffer: every row draws from and returns to its class's segment.
TEST(ReplayBuffer, ClassSegmentsKeepTheirOwnSamples) {
    Context ctx(Backend::Cpu, 5);
    ReplayBuffer buffer(ctx, 1000, 3, -1.0f, 1.0f, 4);
    EXPECT_EQ(buffer.classes(), 4);
    std::vector<std::int32_t> classes(200);
    for (std::size_t b = 0; b < classes.size(); ++b) classes[b] = static_cast<std::int32_t>((b * 7) % 4);
    const Tensor row_classes = Tensor::from(classes, {200});
    Tensor slots;
    buffer.draw(200, 0.3f, 0, slots, row_classes);
    int fresh = 0;
    const auto drawn = values(slots);
    for (std::size_t b = 0; b < drawn.size(); ++b) {
        if (drawn[b] < 0) {
            ++fresh;
            continue;
        }
        EXPECT_EQ(drawn[b] / 250, classes[b]) << "row " << b;
    }
    EXPECT_GT(fresh, 0);
    // Every row, fresh ones included, returns to its own segment.
    std::vector<float> marks(200 * 3);
    for (std::size_t b = 0; b < 200; ++b) std::fill_n(marks.begin() + 3 * b, 3, 10.0f + classes[b]);
    const Tensor marked = Tensor::from(marks, {200, 3});
    buffer.store(slots, marked, 0, row_classes);
    const auto all = buffer.samples().to_vector<float>();
    int found = 0;
    for (std::int64_t slot = 0; slot < 1000; ++slot) {
        if (all[slot * 3] >= 10.0f) {
            ++found;
            EXPECT_EQ(all[slot * 3] - 10.0f, static_cast<float>(slot / 250)) << "slot " << slot;
        }
    }
    EXPECT_GT(found, 150);  // a few rows share a slot
    EXPECT_THROW(buffer.draw(5, 0.0f, 1, slots), Error);  // classes missing
    const Tensor class_four = Tensor::from(std::vector<std::int32_t>{0, 4}, {2});
    EXPECT_THROW(buffer.draw(2, 0.0f, 1, slots, class_four),
                 Error);                                          // class out of range
    EXPECT_THROW(ReplayBuffer(ctx, 1000, 3, -1.0f, 1.0f, 7), Error);  // 7 does not divide 1000
}

// Without labels a class-conditional sampler draws each row's class (SampleLabel,
// chain = row, step = round); with labels it takes them. Either way a row starts in,
// and returns to, its class's segment.
TEST(LangevinSampler, ClassConditionalSamplerDrawsClassesOrTakesLabelsAndKeepsClassesApart) {
    auto rng = test::fresh_rng();
    Context ctx(Backend::Cpu, rng());
    MlpEnergy model = test::random_mlp(rng, {4, 8, 3}, Activation::elu());
    SamplerOptions o;
    o.buffer_size = 30;
    o.classes = 3;
    o.reinit = 0.0f;
    o.steps = 2;
    LangevinSampler sampler(ctx, 4, o);
    SampleRound drawn = sampler.draw_round(model, 6);
    EXPECT_EQ(sampler.rounds(), 0u);
    const auto classes = values(drawn.labels), slots = values(drawn.slots);
    for (int r = 0; r < 6; ++r) {
        const float u = philox_uniform(ctx.seed(), RngPurpose::SampleLabel, static_cast<std::uint32_t>(r), 0, 0);
        EXPECT_EQ(classes[r], std::min(2, static_cast<int>(u * 3))) << r;
        EXPECT_EQ(slots[r] / 10, classes[r]) << r;
    }
    sampler.keep_round(drawn);
    EXPECT_EQ(sampler.rounds(), 1u);
    EXPECT_TRUE(drawn.samples.empty());  // the storage went back to the sampler
    EXPECT_THROW(sampler.keep_round(drawn), Error);  // kept already
    const Tensor before = sampler.buffer()->samples().clone();
    const Tensor labels = Tensor::from(std::vector<std::int32_t>{2, 2, 2, 2, 2, 2}, {6});
    sampler.sample(model, 6, {}, labels);
    // Only class 2's segment (slots 20 .. 29) changed.
    const auto a = before.to_vector<float>(), b = sampler.buffer()->samples().to_vector<float>();
    for (std::size_t i = 0; i < 20 * 4; ++i) EXPECT_EQ(a[i], b[i]) << i;
    EXPECT_NE(std::vector<float>(a.begin() + 80, a.end()), std::vector<float>(b.begin() + 80, b.end()));
    const Tensor label_three = Tensor::from(std::vector<std::int32_t>{0, 1, 2, 3, 0, 0}, {6});
    EXPECT_THROW(sampler.sample(model, 6, {}, label_three), Error);
    MlpEnergy two_outputs = test::random_mlp(rng, {4, 8, 2}, Activation::elu());
    EXPECT_THROW(sampler.sample(two_outputs, 6), Error);  // 3 classes, 2 outputs
}

TEST(LangevinSampler, ReplayRoundsWriteBackAndReproduce) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    MlpEnergy model = test::random_mlp(rng, {4, 8, 3}, Activation::elu());
    SamplerOptions o;
    o.buffer_size = 100000;  // two rows of a round rarely share a slot
    o.steps = 5;
    auto run = [&] {
        Context ctx(Backend::Cpu, seed);
        LangevinSampler sampler(ctx, 4, o);
        Tensor a = sampler.sample(model, 16);
        Tensor b = sampler.sample(model, 16);
        EXPECT_EQ(sampler.rounds(), 2u);
        EXPECT_EQ(sampler.last_stats().proposals, 16 * 5);
        auto out = a.to_vector<float>();
        const auto bv = b.to_vector<float>();
        out.insert(out.end(), bv.begin(), bv.end());
        const auto buf = sampler.buffer()->samples().to_vector<float>();
        out.insert(out.end(), buf.begin(), buf.end());
        return out;
    };
    const auto first = run();
    EXPECT_EQ(first, run());
    // Every sample of the last round sits in the buffer, but for a rare shared slot.
    const std::vector<float> last(first.begin() + 64, first.begin() + 128), buf(first.begin() + 128, first.end());
    int found = 0;
    for (int b = 0; b < 16; ++b) {
        for (int s = 0; s < 100000; ++s) {
            if (std::equal(last.begin() + b * 4, last.begin() + b * 4 + 4, buf.begin() + s * 4)) {
                ++found;
                break;
            }
        }
    }
    EXPECT_GE(found, 15);
}

TEST(LangevinSampler, PersistentChainsContinueWhereTheyStopped) {
    auto rng = test::fresh_rng();
    Context ctx(Backend::Cpu, rng());
    MlpEnergy model = test::random_mlp(rng, {3, 8, 2}, Activation::silu());
    SamplerOptions o;
    o.start = ChainStart::Persistent;
    o.steps = 4;
    LangevinSampler sampler(ctx, 3, o);
    const Tensor first = sampler.sample(model, 8);
    const Tensor second = sampler.sample(model, 8);
    Tensor manual = first.clone();
    langevin_chain(ctx, model, manual, o.step, Steps{4, 4});  // round 1 is steps 4..7
    EXPECT_EQ(second.to_vector<float>(), manual.to_vector<float>());
    EXPECT_THROW(sampler.sample(model, 9), Error);
}

TEST(LangevinSampler, DataAndNormalStarts) {
    auto rng = test::fresh_rng();
    Context ctx(Backend::Cpu, rng());
    MlpEnergy model = test::random_mlp(rng, {3, 8, 2}, Activation::silu());
    SamplerOptions o;
    o.start = ChainStart::Data;
    o.steps = 3;
    LangevinSampler from_data(ctx, 3, o);
    const Tensor data = test::uniform_tensor(rng, {5, 3}, -0.5f, 0.5f);
    Tensor manual = data.clone();
    langevin_chain(ctx, model, manual, o.step, Steps{0, 3});
    EXPECT_EQ(from_data.sample(model, 5, data).to_vector<float>(), manual.to_vector<float>());
    EXPECT_THROW(from_data.sample(model, 4, data), Error);
    o.start = ChainStart::Normal;
    o.step.clamp = false;
    LangevinSampler from_normal(ctx, 3, o);
    EXPECT_EQ(from_normal.sample(model, 5).shape(), (Shape{5, 3}));
    o.start = ChainStart::Uniform;
    EXPECT_THROW(LangevinSampler(ctx, 3, o), Error);  // uniform starts need the clamp box
}

using test::TwoDimensionalEnergy;

TEST_F(TwoDimensionalEnergy, MalaReachesTheNormalisedDensity) {
    // A step this large leaves unadjusted Langevin at TV ~0.14; MALA's correction
    // removes the bias. 4096 x 20 correlated draws over 401 cells: noise ~0.02.
    LangevinParams p = LangevinParams::with_temperature(0.4f, 1.0f);
    p.mala = true;
    EXPECT_LT(total_variation(Backend::Cpu, p, 200, 20), 0.045);
}

// MALA with the step and noise of temperature 2 samples exp(-E / 2), the warmer density:
// close to it, and far from exp(-E), which a test of E(x) - E(x') alone would sample.
TEST_F(TwoDimensionalEnergy, MalaAtATemperatureReachesExpOfMinusEOverT) {
    LangevinParams p = LangevinParams::with_temperature(0.4f, 2.0f);
    p.mala = true;
    const std::vector<double> warm = exact(2.0);
    double apart = 0;
    for (std::size_t k = 0; k < warm.size(); ++k) apart += std::abs(warm[k] - exact_[k]) / 2;
    ASSERT_GT(apart, 0.15) << "the two temperatures' densities must be told apart";
    EXPECT_LT(total_variation(Backend::Cpu, p, 200, 20, warm), 0.045);
}

TEST_F(TwoDimensionalEnergy, SmallStepLangevinReachesTheNormalisedDensity) {
    // Unadjusted: a bias of order alpha on top of the sampling noise.
    EXPECT_LT(total_variation(Backend::Cpu, LangevinParams::with_temperature(0.01f, 1.0f), 600, 20), 0.06);
}

// Data parallelism: shard r of 2, drawing 3 rows, draws rows 3r .. 3r + 2 of the one
// sampler's batch of 6 (uniform and persistent starts, drawn classes, Langevin noise),
// and its replay buffer starts as slots 4r .. 4r + 3 of the whole buffer of 8.
TEST(LangevinSampler, ShardsDrawTheRowsOfTheWholeBatch) {
    auto rng = test::fresh_rng();
    Context ctx(Backend::Cpu, rng());
    MlpEnergy model = test::random_mlp(rng, {5, 8, 3}, Activation::silu());
    for (ChainStart start : {ChainStart::Uniform, ChainStart::Persistent}) {
        for (std::int64_t classes : {1, 3}) {
            SamplerOptions o;
            o.start = start;
            o.steps = 3;
            o.classes = classes;
            LangevinSampler whole(ctx, 5, o);
            std::vector<LangevinSampler> shards;
            for (int r = 0; r < 2; ++r) {
                SamplerOptions part = o;
                part.shard = r;
                part.shards = 2;
                shards.emplace_back(ctx, 5, part);
            }
            for (int round = 0; round < 2; ++round) {
                SampleRound all = whole.draw_round(model, 6);
                const std::vector<float> rows = all.samples.to_vector<float>();
                const std::vector<std::int32_t> labels =
                    classes > 1 ? all.labels.to_vector<std::int32_t>() : std::vector<std::int32_t>();
                whole.keep_round(all);
                for (int r = 0; r < 2; ++r) {
                    SampleRound mine = shards[r].draw_round(model, 3);
                    EXPECT_EQ(mine.samples.to_vector<float>(),
                              std::vector<float>(rows.begin() + 15 * r, rows.begin() + 15 * (r + 1)))
                        << "shard " << r << ", round " << round << ", classes " << classes;
                    if (classes > 1) {
                        EXPECT_EQ(mine.labels.to_vector<std::int32_t>(),
                                  std::vector<std::int32_t>(labels.begin() + 3 * r, labels.begin() + 3 * (r + 1)));
                    }
                    shards[r].keep_round(mine);
                }
            }
        }
    }
    SamplerOptions o;
    o.buffer_size = 8;
    LangevinSampler whole(ctx, 5, o);
    const std::vector<float> buffer = whole.buffer()->samples().to_vector<float>();
    std::vector<std::vector<float>> parts;
    for (int r = 0; r < 2; ++r) {
        SamplerOptions part = o;
        part.shard = r;
        part.shards = 2;
        LangevinSampler shard(ctx, 5, part);
        ASSERT_EQ(shard.buffer()->size(), 4);
        parts.push_back(shard.buffer()->samples().to_vector<float>());
        EXPECT_EQ(parts.back(), std::vector<float>(buffer.begin() + 20 * r, buffer.begin() + 20 * (r + 1)));
    }
    EXPECT_NE(parts[0], parts[1]);
    // A shard outside the count, or a buffer that does not split, is refused.
    SamplerOptions bad = o;
    bad.shards = 3;
    EXPECT_THROW(LangevinSampler(ctx, 5, bad), Error);  // 8 slots among 3
    bad.shards = 2;
    bad.shard = 2;
    EXPECT_THROW(LangevinSampler(ctx, 5, bad), Error);
}

}  // namespace
}  // namespace ebmkit
