// MALA, gradient clipping and chain offsets of langevin_chain; the replay buffer;
// the LangevinSampler's starts and rounds; and both samplers against a 2-D energy
// normalised on a grid.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "support.hpp"
#include "two_dimensional_energy.hpp"

namespace ebmkit {
namespace {

double energy_of(Context& ctx, const MlpEnergy& model, const std::vector<float>& row) {
    Tensor e({1});
    energy(ctx, model, Tensor::from(row, {1, static_cast<std::int64_t>(row.size())}), e);
    return e.data<float>()[0];
}

std::vector<double> grad_of(Context& ctx, const MlpEnergy& model, const std::vector<float>& row) {
    Tensor g({1, static_cast<std::int64_t>(row.size())});
    energy_grad_x(ctx, model, Tensor::from(row, {1, static_cast<std::int64_t>(row.size())}), g);
    return {g.data<float>(), g.data<float>() + row.size()};
}

// One MALA step recomputed from the public energy and gradient: the proposal, the
// Metropolis-Hastings ratio with both Gaussian proposal densities, the keyed uniform.
TEST(Mala, StepAcceptsExactlyByTheMetropolisHastingsRatio) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    Context ctx(Backend::Cpu, seed);
    // Weights of scale 4 make the energy steep enough that every draw rejects some of the
    // 128 proposals and accepts others (54 to 124 accepted over 300 seeds; at scale 2 all
    // were accepted about once in 40).
    MlpEnergy model = test::random_mlp(rng, {3, 8, 2}, Activation::tanh(), 4.0f);
    LangevinParams p;
    p.alpha = 0.6f;
    p.sigma = 1.2f;
    p.mala = true;
    const std::int64_t n = 128;
    Tensor x0 = test::uniform_tensor(rng, {n, 3}, -1, 1);
    Tensor x = x0.clone();
    const LangevinStats stats = langevin_step(ctx, model, x, p, 7);
    std::int64_t accepted = 0;
    for (std::int64_t r = 0; r < n; ++r) {
        std::vector<float> a(x0.data<float>() + r * 3, x0.data<float>() + r * 3 + 3), prop(3);
        const auto ga = grad_of(ctx, model, a);
        for (int i = 0; i < 3; ++i) {
            const double eps = philox_normal(seed, RngPurpose::LangevinNoise, static_cast<std::uint32_t>(r), 7, i);
            prop[i] = static_cast<float>(a[i] - 0.6 * ga[i] + 1.2 * eps);
        }
        const auto gb = grad_of(ctx, model, prop);
        double fwd = 0, bwd = 0;
        for (int i = 0; i < 3; ++i) {
            fwd += std::pow(prop[i] - a[i] + 0.6 * ga[i], 2);
            bwd += std::pow(a[i] - prop[i] + 0.6 * gb[i], 2);
        }
        const double log_ratio = energy_of(ctx, model, a) - energy_of(ctx, model, prop) + (fwd - bwd) / (2 * 1.44);
        const double u = philox_uniform(seed, RngPurpose::MalaAccept, static_cast<std::uint32_t>(r), 7, 0);
        if (std::abs(std::log(u) - log_ratio) < 1e-4) continue;  // too close to call in float
        const bool accept = std::log(u) <= log_ratio;
        accepted += accept;
        // The library keeps the gradient in double, this recomputation in float.
        for (int i = 0; i < 3; ++i) EXPECT_NEAR(x.data<float>()[r * 3 + i], accept ? prop[i] : a[i], 1e-5) << "row " << r;
    }
    EXPECT_EQ(stats.proposals, n);
    EXPECT_NEAR(static_cast<double>(stats.accepted), static_cast<double>(accepted), 1.0);
    EXPECT_GT(accepted, 0);
    EXPECT_LT(accepted, n);
}

TEST(Mala, AcceptanceGoesToOneAsTheStepShrinks) {
    auto rng = test::fresh_rng();
    Context ctx(Backend::Cpu, rng());
    MlpEnergy model = test::random_mlp(rng, {4, 16, 3}, Activation::elu(), 2.0f);
    auto rate = [&](float alpha) {
        Tensor x = test::uniform_tensor(rng, {256, 4}, -1, 1);
        return langevin_chain(ctx, model, x, [&] {
                   LangevinParams p = LangevinParams::with_temperature(alpha, 1.0f);
                   p.mala = true;
                   return p;
               }(), 0, 10).acceptance_rate();
    };
    const double tiny = rate(1e-5f), large = rate(2.0f);
    EXPECT_GT(tiny, 0.99);
    EXPECT_LT(large, tiny);
}

TEST(Mala, ProposalsOutsideTheBoxAreRejected) {
    auto rng = test::fresh_rng();
    Context ctx(Backend::Cpu, rng());
    MlpEnergy model = test::random_mlp(rng, {2, 8, 1}, Activation::silu());
    LangevinParams p;
    p.alpha = 0.5f;
    p.sigma = 1.0f;
    p.mala = true;
    p.clamp = true;
    p.lo = -0.1f;
    p.hi = 0.1f;
    Tensor x = test::uniform_tensor(rng, {200, 2}, -0.1f, 0.1f);
    const LangevinStats s = langevin_chain(ctx, model, x, p, 0, 20);
    for (float v : x.to_vector<float>()) {
        ASSERT_GT(v, -0.1f);  // never on the boundary: clamped values are never accepted
        ASSERT_LT(v, 0.1f);
    }
    EXPECT_LT(s.acceptance_rate(), 0.5);
}

TEST(Langevin, BatchSplitWithChainOffsetsGivesTheSameSamples) {
    auto rng = test::fresh_rng();
    Context ctx(Backend::Cpu, rng());
    MlpEnergy model = test::random_mlp(rng, {5, 12, 3}, Activation::softplus());
    for (bool mala : {false, true}) {
        LangevinParams p = LangevinParams::with_temperature(0.05f, 1.0f);
        p.mala = mala;
        Tensor whole = test::uniform_tensor(rng, {10, 5}, -1, 1);
        Tensor head({4, 5}), tail({6, 5});
        copy(ConstTensorView(whole.data<float>(), {4, 5}, DType::F32, Device::Host), head);
        copy(ConstTensorView(whole.data<float>() + 20, {6, 5}, DType::F32, Device::Host), tail);
        langevin_chain(ctx, model, whole, p, 3, 7);
        langevin_chain(ctx, model, head, p, 3, 7);
        p.first_chain = 4;
        langevin_chain(ctx, model, tail, p, 3, 7);
        auto joined = head.to_vector<float>();
        const auto t = tail.to_vector<float>();
        joined.insert(joined.end(), t.begin(), t.end());
        EXPECT_EQ(joined, whole.to_vector<float>()) << "mala " << mala;
    }
}

TEST(Langevin, ConditionalChainsFollowTheClassEnergy) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    Context ctx(Backend::Cpu, seed);
    MlpEnergy model = test::random_mlp(rng, {4, 10, 3}, Activation::tanh(), 2.0f);
    const Tensor x0 = test::uniform_tensor(rng, {6, 4}, -1, 1);
    const Tensor labels = Tensor::from(std::vector<std::int32_t>{0, 1, 2, 2, 1, 0}, {6});
    Tensor grad({6, 4}), e({6});
    energy_and_grad_x(ctx, model, x0, labels, e, grad);
    Tensor ey({6});
    energy(ctx, model, x0, labels, ey);
    EXPECT_EQ(e.to_vector<float>(), ey.to_vector<float>());
    LangevinParams p;
    p.alpha = 0.1f;
    p.sigma = 0.02f;
    Tensor x = x0.clone();
    langevin_chain(ctx, model, x, labels, p, 4, 1);
    for (std::int64_t r = 0; r < 6; ++r) {
        for (std::int64_t i = 0; i < 4; ++i) {
            const double eps = philox_normal(seed, RngPurpose::LangevinNoise, static_cast<std::uint32_t>(r), 4,
                                             static_cast<std::uint32_t>(i));
            EXPECT_NEAR(x.data<float>()[r * 4 + i], x0.data<float>()[r * 4 + i] - 0.1 * grad.data<float>()[r * 4 + i] + 0.02 * eps, 1e-6);
        }
    }
    Tensor bad = Tensor::from(std::vector<std::int32_t>{0, 1, 2, 3, 1, 0}, {6});
    EXPECT_THROW(langevin_chain(ctx, model, x, bad, p, 0, 1), Error);
}

TEST(Langevin, GradientClippingBoundsTheDrift) {
    auto rng = test::fresh_rng();
    Context ctx(Backend::Cpu, rng());
    MlpEnergy model = test::random_mlp(rng, {6, 10, 2}, Activation::relu(), 8.0f);
    Tensor x0 = test::uniform_tensor(rng, {32, 6}, -1, 1);
    LangevinParams p;
    p.alpha = 1.0f;
    p.sigma = 0.0f;
    p.grad_clip = 0.01f;
    Tensor x = x0.clone();
    langevin_step(ctx, model, x, p, 0);
    for (int r = 0; r < 32; ++r) {
        double moved = 0;
        for (int i = 0; i < 6; ++i) moved += std::pow(x.data<float>()[r * 6 + i] - x0.data<float>()[r * 6 + i], 2);
        EXPECT_LE(std::sqrt(moved), 0.01 + 1e-6);
    }
}

TEST(Langevin, TraceRecordsEveryStep) {
    auto rng = test::fresh_rng();
    Context ctx(Backend::Cpu, rng());
    MlpEnergy model = test::random_mlp(rng, {3, 6, 2}, Activation::tanh());
    Tensor x = test::uniform_tensor(rng, {16, 3}, -1, 1);
    const LangevinStats s = langevin_chain(ctx, model, x, LangevinParams::with_temperature(0.01f, 1.0f), 0, 5, true);
    ASSERT_EQ(s.mean_energy.size(), 5u);
    ASSERT_EQ(s.acceptance.size(), 5u);
    Tensor e({16});
    energy(ctx, model, x, e);
    const auto ev = e.to_vector<float>();
    EXPECT_NEAR(s.mean_energy.back(), std::accumulate(ev.begin(), ev.end(), 0.0) / 16, 1e-5);
    for (double a : s.acceptance) EXPECT_EQ(a, 1.0);
    EXPECT_NEAR(LangevinParams::with_temperature(0.5f, 2.0f).sigma, std::sqrt(2.0f), 1e-6);
}

TEST(ReplayBuffer, DrawsKeyedSlotsAndReinitialisesAFraction) {
    ReplayBuffer buffer(1000, 3, -1.0f, 1.0f, 11);
    for (float v : buffer.samples().to_vector<float>()) {
        ASSERT_GE(v, -1.0f);
        ASSERT_LE(v, 1.0f);
    }
    std::vector<std::int64_t> slots;
    const Tensor none = buffer.draw(50, 0.0f, 0, slots);
    for (int b = 0; b < 50; ++b) {
        ASSERT_GE(slots[b], 0);
        for (int i = 0; i < 3; ++i) EXPECT_EQ(none.data<float>()[b * 3 + i], buffer.samples().data<float>()[slots[b] * 3 + i]);
    }
    std::vector<std::int64_t> again;
    EXPECT_EQ(buffer.draw(50, 0.0f, 0, again).to_vector<float>(), none.to_vector<float>());
    buffer.draw(50, 1.0f, 1, again);
    for (auto s : again) EXPECT_EQ(s, -1);
    // About 5% fresh over 20000 draws.
    buffer.draw(20000, 0.05f, 2, again);
    const auto fresh = std::count(again.begin(), again.end(), -1);
    EXPECT_NEAR(fresh / 20000.0, 0.05, 6 * std::sqrt(0.05 * 0.95 / 20000));
    // store writes rows back to their slots.
    const Tensor rows = test::filled({50, 3}, 0.25f);
    buffer.store(slots, rows, 0);
    for (auto s : slots) EXPECT_EQ(buffer.samples().data<float>()[s * 3], 0.25f);
    EXPECT_THROW(ReplayBuffer(0, 3, -1, 1, 0), Error);
    EXPECT_THROW(buffer.draw(5, 1.5f, 0, slots), Error);
}

// A class-conditional buffer: every row draws from and returns to its class's segment.
TEST(ReplayBuffer, ClassSegmentsKeepTheirOwnSamples) {
    ReplayBuffer buffer(1000, 3, -1.0f, 1.0f, 5, 4);
    EXPECT_EQ(buffer.classes(), 4);
    std::vector<std::int32_t> classes(200);
    for (std::size_t b = 0; b < classes.size(); ++b) classes[b] = static_cast<std::int32_t>((b * 7) % 4);
    std::vector<std::int64_t> slots;
    buffer.draw(200, 0.3f, 0, slots, classes);
    int fresh = 0;
    for (std::size_t b = 0; b < slots.size(); ++b) {
        if (slots[b] < 0) {
            ++fresh;
            continue;
        }
        EXPECT_EQ(slots[b] / 250, classes[b]) << "row " << b;
    }
    EXPECT_GT(fresh, 0);
    // Every row, fresh ones included, returns to its own segment.
    std::vector<float> marks(200 * 3);
    for (std::size_t b = 0; b < 200; ++b) std::fill_n(marks.begin() + 3 * b, 3, 10.0f + classes[b]);
    buffer.store(slots, Tensor::from(marks, {200, 3}), 0, classes);
    const auto all = buffer.samples().to_vector<float>();
    int found = 0;
    for (std::int64_t slot = 0; slot < 1000; ++slot) {
        if (all[slot * 3] >= 10.0f) {
            ++found;
            EXPECT_EQ(all[slot * 3] - 10.0f, static_cast<float>(slot / 250)) << "slot " << slot;
        }
    }
    EXPECT_GT(found, 150);  // a few rows share a slot
    EXPECT_THROW(buffer.draw(5, 0.0f, 1, slots), Error);                       // classes missing
    EXPECT_THROW(buffer.draw(2, 0.0f, 1, slots, {0, 4}), Error);               // class out of range
    EXPECT_THROW(ReplayBuffer(1000, 3, -1.0f, 1.0f, 5, 7), Error);             // 7 does not divide 1000
}

TEST(LangevinSampler, ClassConditionalBufferNeedsLabelsAndKeepsClassesApart) {
    auto rng = test::fresh_rng();
    Context ctx(Backend::Cpu, rng());
    MlpEnergy model = test::random_mlp(rng, {4, 8, 3}, Activation::elu());
    SamplerOptions o;
    o.buffer_size = 30;
    o.classes = 3;
    o.reinit = 0.0f;
    o.steps = 2;
    LangevinSampler sampler(ctx, 4, o);
    EXPECT_THROW(sampler.sample(model, 6), Error);
    EXPECT_EQ(sampler.rounds(), 0u);
    const Tensor before = sampler.buffer()->samples().clone();
    const Tensor labels = Tensor::from(std::vector<std::int32_t>{2, 2, 2, 2, 2, 2}, {6});
    sampler.sample(model, 6, {}, labels);
    // Only class 2's segment (slots 20 .. 29) changed.
    const auto a = before.to_vector<float>(), b = sampler.buffer()->samples().to_vector<float>();
    for (std::size_t i = 0; i < 20 * 4; ++i) EXPECT_EQ(a[i], b[i]) << i;
    EXPECT_NE(std::vector<float>(a.begin() + 80, a.end()), std::vector<float>(b.begin() + 80, b.end()));
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
    langevin_chain(ctx, model, manual, o.step, 4, 4);  // round 1 is steps 4..7
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
    langevin_chain(ctx, model, manual, o.step, 0, 3);
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

TEST_F(TwoDimensionalEnergy, SmallStepLangevinReachesTheNormalisedDensity) {
    // Unadjusted: a bias of order alpha on top of the sampling noise.
    EXPECT_LT(total_variation(Backend::Cpu, LangevinParams::with_temperature(0.01f, 1.0f), 600, 20), 0.06);
}

}  // namespace
}  // namespace ebmkit
