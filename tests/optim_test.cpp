// Optimizer steps against the update rules written out in double, on fresh random
// parameters and gradients; the state's round trip through a checkpoint.
#include <gtest/gtest.h>

#include <cmath>
#include <utility>
#include <vector>

#include "support.hpp"

namespace ebmkit {
namespace {

// Three steps of kind on one flat parameter vector, in double.
std::vector<double> reference(OptimizerKind kind, const OptimizerOptions& o, std::vector<double> p,
                              const std::vector<std::vector<float>>& grads) {
    std::vector<double> m(p.size(), 0.0), v(p.size(), 0.0);
    for (std::size_t t = 1; t <= grads.size(); ++t) {
        for (std::size_t i = 0; i < p.size(); ++i) {
            const double g = grads[t - 1][i] + double(o.weight_decay) * p[i];
            if (kind == OptimizerKind::Sgd) {
                m[i] = o.momentum * m[i] + g;
                p[i] -= o.lr * m[i];
            } else if (kind == OptimizerKind::Adam) {
                m[i] = o.beta1 * m[i] + (1 - double(o.beta1)) * g;
                v[i] = o.beta2 * v[i] + (1 - double(o.beta2)) * g * g;
                const double mh = m[i] / (1 - std::pow(double(o.beta1), double(t)));
                const double vh = v[i] / (1 - std::pow(double(o.beta2), double(t)));
                p[i] -= o.lr * mh / (std::sqrt(vh) + o.eps);
            } else {
                m[i] = o.beta1 * m[i] + (1 - double(o.beta1)) * g;
                v[i] = std::max(o.beta2 * v[i], std::abs(g) + o.eps);
                p[i] -= o.lr / (1 - std::pow(double(o.beta1), double(t))) * m[i] / v[i];
            }
        }
    }
    return p;
}

class Optimizers : public ::testing::TestWithParam<OptimizerKind> {};

TEST_P(Optimizers, ThreeStepsMatchTheRuleInDouble) {
    auto rng = test::fresh_rng();
    Context ctx(Backend::Cpu);
    MlpEnergy model = test::random_mlp(rng, {4, 3, 2}, Activation::relu());
    OptimizerOptions o;
    o.kind = GetParam();
    o.lr = 0.01f;
    o.weight_decay = 0.1f;
    Optimizer opt(model, o);
    // The flat order: weight 0, bias 0, weight 1, bias 1.
    auto flat = [](const MlpEnergy& m) {
        std::vector<float> out;
        for (int l = 0; l < m.num_layers(); ++l) {
            for (const ConstTensorView& t : {ConstTensorView(m.weight(l)), ConstTensorView(m.bias(l))}) {
                const auto v = t.to_vector<float>();
                out.insert(out.end(), v.begin(), v.end());
            }
        }
        return out;
    };
    const auto start = flat(model);
    std::vector<std::vector<float>> grads;
    for (int t = 0; t < 3; ++t) {
        MlpEnergy g = test::random_mlp(rng, {4, 3, 2}, Activation::relu(), 3.0f);
        grads.push_back(flat(g));
        opt.step(ctx, model, g);
    }
    EXPECT_EQ(opt.steps(), 3);
    const auto ref = reference(GetParam(), o, std::vector<double>(start.begin(), start.end()), grads);
    EXPECT_LT(test::relative_error(flat(model), ref), 1e-6);
}

TEST_P(Optimizers, StateRoundTripsThroughACheckpoint) {
    auto rng = test::fresh_rng();
    Context ctx(Backend::Cpu);
    MlpEnergy a = test::random_mlp(rng, {5, 4, 3}, Activation::tanh());
    MlpEnergy b = a.to(Device::Host);
    OptimizerOptions o;
    o.kind = GetParam();
    Optimizer oa(a, o);
    const MlpEnergy g1 = test::random_mlp(rng, {5, 4, 3}, Activation::tanh()), g2 = test::random_mlp(rng, {5, 4, 3}, Activation::tanh());
    oa.step(ctx, a, g1);
    SafeTensors saved;
    for (const auto& [name, view] : oa.state()) {
        Tensor t(view.shape());
        copy(view, t);
        saved.tensors.emplace(name, std::move(t));
    }
    Optimizer ob(b, o);
    ob.step(ctx, b, g1);  // b now equals a
    Optimizer oc(b, o);
    oc.load_state(saved, oa.steps());
    oa.step(ctx, a, g2);
    oc.step(ctx, b, g2);
    EXPECT_EQ(a.weight(0).to_vector<float>(), b.weight(0).to_vector<float>());
    Optimizer od(b, o);
    EXPECT_THROW(od.load_state(SafeTensors{}, 1), Error);
}

INSTANTIATE_TEST_SUITE_P(AllKinds, Optimizers,
                         ::testing::Values(OptimizerKind::Sgd, OptimizerKind::Adam, OptimizerKind::Adamax),
                         [](const auto& info) { return std::string(to_string(info.param)); });

// One parameter buffer (issue 27 item 4): every parameter of an MlpEnergy and an Rbm is a
// view into flat(), in parameters() order, each starting 256-byte aligned, the gaps zero.
TEST(FlatParameters, EveryParameterIsAnAlignedViewOfTheOneBuffer) {
    auto rng = test::fresh_rng();
    const MlpEnergy mlp = test::random_mlp(rng, {7, 5, 3}, Activation::silu());
    const Rbm rbm = test::random_rbm(rng, 6, 5, 0.3f);
    for (const auto& [params, flat] : {std::pair{mlp.parameters(), mlp.flat()}, std::pair{rbm.parameters(), rbm.flat()}}) {
        const auto* base = static_cast<const float*>(flat.raw());
        std::vector<bool> covered(static_cast<std::size_t>(flat.numel()), false);
        const float* previous_end = base;
        for (const ConstTensorView& p : params) {
            const auto* at = static_cast<const float*>(p.raw());
            ASSERT_GE(at, previous_end) << "in order, not overlapping";
            EXPECT_EQ((at - base) % 64, 0) << "each parameter starts at a multiple of 64 floats";
            ASSERT_LE(at - base + p.numel(), flat.numel());
            for (std::int64_t i = 0; i < p.numel(); ++i) covered[static_cast<std::size_t>(at - base + i)] = true;
            previous_end = at + p.numel();
        }
        const std::vector<float> values = flat.to_vector<float>();
        for (std::size_t i = 0; i < values.size(); ++i) {
            if (!covered[i]) EXPECT_EQ(values[i], 0.0f) << "gap element " << i;
        }
        EXPECT_LT(flat.numel(), previous_end - base + 64);
    }
    // Copies keep the layout and the values.
    const MlpEnergy copy = mlp.to(Device::Host);
    EXPECT_EQ(copy.flat().to_vector<float>(), mlp.flat().to_vector<float>());
    EXPECT_EQ(copy.weight(1).to_vector<float>(), mlp.weight(1).to_vector<float>());
}

// The flat step (one launch over the buffers) is the per-parameter step to the bit, and
// the gaps stay zero under every rule with weight decay.
TEST_P(Optimizers, TheFlatStepIsThePerParameterStep) {
    auto rng = test::fresh_rng();
    Context ctx(Backend::Cpu);
    const MlpEnergy start = test::random_mlp(rng, {9, 6, 4, 3}, Activation::tanh());
    MlpEnergy a = start.to(Device::Host), b = start.to(Device::Host);
    OptimizerOptions o;
    o.kind = GetParam();
    o.lr = 0.05f;
    o.weight_decay = 0.01f;
    Optimizer flat(a, o), each(b, o);
    for (int t = 0; t < 3; ++t) {
        const MlpEnergy g = test::random_mlp(rng, {9, 6, 4, 3}, Activation::tanh());
        flat.step(ctx, a, g);
        each.step(ctx, b.parameters(), g.parameters());
    }
    EXPECT_EQ(a.flat().to_vector<float>(), b.flat().to_vector<float>());
    const auto state_a = flat.state(), state_b = each.state();
    ASSERT_EQ(state_a.size(), state_b.size());
    for (std::size_t i = 0; i < state_a.size(); ++i) {
        EXPECT_EQ(state_a[i].first, state_b[i].first);
        EXPECT_EQ(state_a[i].second.to_vector<float>(), state_b[i].second.to_vector<float>()) << state_a[i].first;
    }
    // Gaps: the elements of flat() that no parameter covers.
    const std::vector<float> values = a.flat().to_vector<float>();
    std::vector<bool> covered(values.size(), false);
    for (const ConstTensorView& p : a.parameters()) {
        const auto offset = static_cast<const float*>(p.raw()) - static_cast<const float*>(a.flat().raw());
        for (std::int64_t i = 0; i < p.numel(); ++i) covered[static_cast<std::size_t>(offset + i)] = true;
    }
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (!covered[i]) ASSERT_EQ(values[i], 0.0f) << "gap element " << i;
    }
}

TEST(Optimizer, RejectsBadOptionsAndMismatchedModels) {
    MlpEnergy model({3, 2}, Activation::relu());
    OptimizerOptions o;
    o.lr = -1;
    EXPECT_THROW(Optimizer(model, o), Error);
    o = {};
    o.beta2 = 1.0f;
    EXPECT_THROW(Optimizer(model, o), Error);
    Optimizer opt(model, {});
    Context ctx(Backend::Cpu);
    MlpEnergy other({3, 4, 2}, Activation::relu());
    const auto before = model.weight(0).to_vector<float>();
    EXPECT_THROW(opt.step(ctx, model, other), Error);
    EXPECT_EQ(model.weight(0).to_vector<float>(), before);
}

}  // namespace
}  // namespace ebmkit
