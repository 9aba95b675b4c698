// The argument contract: every public call rejects a wrong shape, an empty tensor,
// a wrong dtype or device, and a non-finite hyper-parameter with ebmkit::Error
// naming the argument, and leaves every buffer as it was.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>

#include "support.hpp"

namespace ebmkit {
namespace {

// Runs call, expects Error whose message contains every fragment, and checks that
// each watched tensor is bitwise unchanged.
void expect_rejected(const std::function<void()>& call, std::vector<std::string> fragments,
                     std::vector<const Tensor*> watched) {
    std::vector<std::vector<float>> before;
    for (const Tensor* t : watched) before.push_back(t->to_vector<float>());
    try {
        call();
        ADD_FAILURE() << "no Error thrown; expected one mentioning " << fragments.front();
    } catch (const Error& e) {
        for (const auto& f : fragments) EXPECT_NE(std::string(e.what()).find(f), std::string::npos) << e.what();
    }
    for (std::size_t i = 0; i < watched.size(); ++i) {
        const auto after = watched[i]->to_vector<float>();
        ASSERT_EQ(after.size(), before[i].size());
        EXPECT_EQ(std::memcmp(after.data(), before[i].data(), after.size() * sizeof(float)), 0)
            << "buffer " << i << " changed by a rejected call";
    }
}

class Contract : public ::testing::Test {
protected:
    Context ctx{Backend::Cpu, 1};
    std::mt19937_64 rng = test::fresh_rng();
};

TEST_F(Contract, LogSumExpChecksShapesAndTypes) {
    Tensor x = test::uniform_tensor(rng, {4, 5}, -1, 1), out = test::filled({4}, 7.0f);
    expect_rejected([&] { logsumexp(ctx, x, test::filled({3}, 0.0f)); }, {"logsumexp", "out", "[4]"}, {&x});
    expect_rejected([&] { logsumexp(ctx, Tensor(), out); }, {"x", "empty"}, {&out});
    expect_rejected([&] { logsumexp(ctx, test::filled({4, 5, 1}, 0.0f), out); }, {"x", "[4, 5, 1]"}, {&out});
    expect_rejected([&] { logsumexp(ctx, x, Tensor::from(std::vector<std::int32_t>(4, 0), {4})); },
                    {"out", "int32"}, {&x});
    expect_rejected([&] { logsumexp(ctx, x, TensorView(x.data<float>(), {4}, DType::F32, Device::Host)); },
                    {"overlap"}, {&x});
    Tensor lse = test::filled({4}, 0.0f), dx = test::filled({4, 5}, 3.0f);
    expect_rejected([&] { logsumexp_backward(ctx, x, lse, test::filled({5}, 1.0f), dx); }, {"dlse", "[4]"},
                    {&dx, &lse});
    expect_rejected([&] { logsumexp_backward(ctx, x, lse, lse, test::filled({4, 4}, 1.0f)); }, {"dx", "[4, 5]"},
                    {&x, &lse});
}

TEST_F(Contract, MlpCallsCheckInputsLabelsAndGradients) {
    MlpEnergy model = test::random_mlp(rng, {3, 4, 2}, Activation::relu());
    Tensor x = test::uniform_tensor(rng, {5, 3}, -1, 1), e = test::filled({5}, 9.0f);
    Tensor grad = test::filled({5, 3}, 9.0f), logits = test::filled({5, 2}, 9.0f);
    expect_rejected([&] { energy(ctx, model, test::filled({5, 4}, 0.0f), e); }, {"energy", "x", "[*, 3]"}, {&e});
    expect_rejected([&] { mlp_logits(ctx, model, x, test::filled({5, 3}, 0.0f)); }, {"logits", "[5, 2]"}, {&x});
    expect_rejected([&] { energy(ctx, model, x, Tensor::from(std::vector<std::int32_t>{0, 1, 2, 0, 1}, {5}), e); },
                    {"labels[2]", "[0, 2)"}, {&e});
    expect_rejected([&] { energy(ctx, model, x, test::filled({5}, 0.0f), e); }, {"labels", "int32"}, {&e});
    expect_rejected([&] { energy_grad_x(ctx, model, x, test::filled({4, 3}, 0.0f)); }, {"grad", "[5, 3]"}, {&x});
    expect_rejected([&] { energy_grad_x(ctx, model, x, x); }, {"overlap"}, {&x});
    MlpEnergy g = test::random_mlp(rng, {3, 5, 2}, Activation::relu());
    const std::vector<const Tensor*> g_params{&g.weight(0), &g.weight(1), &g.bias(0), &g.bias(1)};
    expect_rejected([&] { param_grad(ctx, model, x, logits, g); }, {"grad", "widths"}, g_params);
    MlpEnergy g2 = model.zeros_like();
    expect_rejected([&] { param_grad(ctx, model, x, test::filled({5, 3}, 0.0f), g2); }, {"dlogits", "[5, 2]"},
                    {&g2.weight(0)});
    EXPECT_THROW(MlpEnergy({3}, Activation::relu()), Error);
    EXPECT_THROW(MlpEnergy({3, 0, 2}, Activation::relu()), Error);
    EXPECT_THROW(MlpEnergy({3, 2}, Activation::leaky_relu(NAN)), Error);
}

TEST_F(Contract, LangevinRejectsNonFiniteHyperParameters) {
    MlpEnergy model = test::random_mlp(rng, {3, 4, 2}, Activation::relu());
    Tensor x = test::uniform_tensor(rng, {5, 3}, -1, 1);
    for (float bad : {0.0f, -1.0f, NAN, INFINITY}) {
        LangevinParams p;
        p.alpha = bad;
        expect_rejected([&] { langevin_step(ctx, model, x, p, 0); }, {"langevin", "params.alpha"}, {&x});
    }
    for (float bad : {-0.1f, NAN, INFINITY}) {
        LangevinParams p;
        p.sigma = bad;
        expect_rejected([&] { langevin_chain(ctx, model, x, p, 0, 3); }, {"params.sigma"}, {&x});
    }
    LangevinParams p;
    p.clamp = true;
    p.lo = 1.0f;
    p.hi = -1.0f;
    expect_rejected([&] { langevin_chain(ctx, model, x, p, 0, 3); }, {"params.lo", "params.hi"}, {&x});
    p.lo = NAN;
    expect_rejected([&] { langevin_chain(ctx, model, x, p, 0, 3); }, {"params.lo"}, {&x});
    expect_rejected([&] { langevin_step(ctx, model, test::filled({5, 2}, 0.0f), LangevinParams{}, 0); },
                    {"x", "[*, 3]"}, {});
}

TEST_F(Contract, RbmCallsCheckShapesAndK) {
    Rbm rbm(6, 4);
    rbm.init_normal(3, 0.5f);
    Tensor v = test::filled({2, 6}, 1.0f), h = test::filled({2, 4}, 5.0f), f = test::filled({2}, 5.0f);
    expect_rejected([&] { rbm_hidden_probs(ctx, rbm, v, test::filled({2, 5}, 0.0f)); }, {"ph", "[2, 4]"}, {&v});
    expect_rejected([&] { rbm_visible_probs(ctx, rbm, test::filled({2, 6}, 0.0f), v); }, {"h", "[*, 4]"}, {&v});
    expect_rejected([&] { gibbs_step(ctx, rbm, v, test::filled({3, 4}, 0.0f), 0); }, {"gibbs_step", "h"}, {&v});
    expect_rejected([&] { free_energy(ctx, rbm, v, test::filled({3}, 0.0f)); }, {"free_energy", "f"}, {&v});
    Rbm grad = rbm.zeros_like();
    grad.w().copy_from(test::filled({6, 4}, 2.0f));
    Tensor chains = v.clone();
    expect_rejected([&] { cd_gradient(ctx, rbm, v, chains, 0, 0, grad); }, {"k must be >= 1"}, {&chains, &grad.w()});
    Rbm wrong(6, 5);
    expect_rejected([&] { cd_gradient(ctx, rbm, v, chains, 1, 0, wrong); }, {"grad", "shape"}, {&chains});
    expect_rejected([&] { cd_gradient(ctx, rbm, v, test::filled({3, 5}, 0.0f), 1, 0, grad); }, {"chains", "[*, 6]"},
                    {&grad.w()});
    expect_rejected([&] { log_partition_exact(ctx, Rbm(30, 26)); }, {"25"}, {});
    EXPECT_THROW(Rbm(0, 3), Error);
    EXPECT_THROW(rbm.init_normal(1, NAN), Error);
}

// Every public operation, each tensor argument in turn replaced by an empty one.
TEST_F(Contract, EveryOperationRejectsEmptyTensorsByName) {
    MlpEnergy model = test::random_mlp(rng, {3, 4, 2}, Activation::relu());
    Rbm rbm(3, 2);
    Tensor x = test::uniform_tensor(rng, {2, 3}, -1, 1);
    Tensor rows = test::filled({2}, 0.0f), logits = test::filled({2, 2}, 0.0f), grad = test::filled({2, 3}, 0.0f);
    Tensor h = test::filled({2, 2}, 0.0f), lse2 = test::filled({2, 2}, 0.0f);
    MlpEnergy mg = model.zeros_like();
    Rbm rg = rbm.zeros_like();
    const Tensor e;  // empty
    const std::vector<std::pair<std::string, std::function<void()>>> calls = {
        {"x", [&] { logsumexp(ctx, e, rows); }},
        {"out", [&] { logsumexp(ctx, lse2, Tensor()); }},
        {"lse", [&] { logsumexp_backward(ctx, lse2, e, rows, logits); }},
        {"dlse", [&] { logsumexp_backward(ctx, lse2, rows, e, logits); }},
        {"dx", [&] { logsumexp_backward(ctx, lse2, rows, rows, Tensor()); }},
        {"x", [&] { mlp_logits(ctx, model, e, logits); }},
        {"logits", [&] { mlp_logits(ctx, model, x, Tensor()); }},
        {"energy", [&] { energy(ctx, model, x, Tensor()); }},
        {"labels", [&] { energy(ctx, model, x, e, rows); }},
        {"grad", [&] { energy_grad_x(ctx, model, x, Tensor()); }},
        {"labels", [&] { energy_grad_x(ctx, model, x, e, grad); }},
        {"dlogits", [&] { param_grad(ctx, model, x, e, mg); }},
        {"x", [&] { langevin_step(ctx, model, Tensor(), LangevinParams{}, 0); }},
        {"v", [&] { rbm_hidden_probs(ctx, rbm, e, h); }},
        {"ph", [&] { rbm_hidden_probs(ctx, rbm, x, Tensor()); }},
        {"h", [&] { rbm_visible_probs(ctx, rbm, e, x); }},
        {"h", [&] { gibbs_step(ctx, rbm, x, Tensor(), 0); }},
        {"f", [&] { free_energy(ctx, rbm, x, Tensor()); }},
        {"data", [&] { cd_gradient(ctx, rbm, e, x, 1, 0, rg); }},
        {"chains", [&] { cd_gradient(ctx, rbm, x, Tensor(), 1, 0, rg); }},
    };
    for (const auto& [name, call] : calls) {
        expect_rejected(call, {name + " must be", "empty"}, {&x, &rows, &logits, &grad, &h});
    }
}

TEST_F(Contract, HostOnlyBuildRejectsDeviceWorkWithAClearMessage) {
    if (cuda_available()) GTEST_SKIP() << "a CUDA device is present; this checks the device-less behaviour";
    EXPECT_THROW(Context(Backend::Cuda), Error);
    EXPECT_EQ(Context(Backend::Auto).backend(), Backend::Cpu);
}

}  // namespace
}  // namespace ebmkit
