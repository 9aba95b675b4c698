// The argument contract, call by public call: every output and every piece of state a
// call could write is poisoned first, the call is made with one bad argument (a wrong
// shape, an empty tensor, a wrong dtype or device, an overlap, a non-finite or
// out-of-range value), and it must throw ebmkit::Error naming the argument and leave
// every poisoned byte as it was: every check runs before any write.
#include <gtest/gtest.h>

#include <cstring>
#include <deque>
#include <filesystem>
#include <functional>
#include <tuple>

#include "support.hpp"

namespace ebmkit {
namespace {

// A view through which the test may write memory the library hands out read-only
// (an optimizer's state, a replay buffer), to poison it.
TensorView writable(ConstTensorView v) {
    return TensorView(const_cast<void*>(v.raw()), v.shape(), v.dtype(), v.device());
}

std::vector<unsigned char> bytes_of(ConstTensorView v) {
    const Tensor host = Tensor::copy_of(v, Device::Host);
    std::vector<unsigned char> out(host.bytes());
    if (!out.empty()) std::memcpy(out.data(), host.view().raw(), out.size());
    return out;
}

// float32: a NaN with payload 0x25a5a5; int32: 0xa5a5a5a5. Neither is a value a
// correct write produces.
void poison(TensorView v) {
    Tensor host(v.shape(), v.dtype());
    const std::uint32_t pattern = v.dtype() == DType::F32 ? 0x7fa5a5a5u : 0xa5a5a5a5u;
    auto* words = static_cast<std::uint32_t*>(host.view().raw());
    for (std::int64_t i = 0; i < host.numel(); ++i) words[i] = pattern;
    copy(host, v);
}

// Poisons every watched view, runs call, expects an Error whose message holds every
// fragment, and compares every watched byte afterwards.
void expect_rejected(const std::function<void()>& call, const std::vector<std::string>& fragments,
                     const std::vector<TensorView>& watched) {
    std::vector<std::vector<unsigned char>> before;
    for (const TensorView& t : watched) {
        poison(t);
        before.push_back(bytes_of(t));
    }
    try {
        call();
        ADD_FAILURE() << "no Error thrown; expected one mentioning " << fragments.front();
    } catch (const Error& e) {
        for (const auto& f : fragments) EXPECT_NE(std::string(e.what()).find(f), std::string::npos) << e.what();
    }
    for (std::size_t i = 0; i < watched.size(); ++i) {
        EXPECT_EQ(bytes_of(watched[i]), before[i]) << "watched view " << i << " changed by a rejected call ("
                                                   << fragments.front() << ")";
    }
}

std::vector<TensorView> parameters_and(std::vector<TensorView> params, std::initializer_list<TensorView> more) {
    params.insert(params.end(), more.begin(), more.end());
    return params;
}

class Contract : public ::testing::Test {
protected:
    // Keeps a tensor alive to the end of the test, so a call's argument can be written
    // in place (no view of a temporary exists).
    Tensor& keep(Tensor t) { return kept_.emplace_back(std::move(t)); }
    Tensor& filled(Shape shape, float value = 0.0f) { return keep(test::filled(shape, value)); }
    Tensor& ints(std::vector<std::int32_t> values) {
        const auto n = static_cast<std::int64_t>(values.size());
        return keep(Tensor::from(values, {n}));
    }

    Context ctx{Backend::Cpu, 1};
    std::mt19937_64 rng = test::fresh_rng();

private:
    std::deque<Tensor> kept_;
};

TEST_F(Contract, LogSumExp) {
    Tensor x = test::uniform_tensor(rng, {4, 5}, -1, 1), out = test::filled({4}, 7.0f);
    Tensor lse = test::filled({4}, 0.0f), dlse = test::filled({4}, 1.0f), dx = test::filled({4, 5}, 3.0f);
    expect_rejected([&] { logsumexp(ctx, x, filled({3})); }, {"logsumexp", "out", "[4]"}, {x, out});
    expect_rejected([&] { logsumexp(ctx, keep(Tensor()), out); }, {"x", "empty"}, {out});
    expect_rejected([&] { logsumexp(ctx, filled({4, 5, 1}), out); }, {"x", "[4, 5, 1]"}, {out});
    expect_rejected([&] { logsumexp(ctx, x, ints({0, 0, 0, 0})); }, {"out", "int32"}, {x, out});
    expect_rejected([&] { logsumexp(ctx, x, TensorView(x.data<float>(), {4}, DType::F32, Device::Host)); }, {"overlap"},
                    {x});
    expect_rejected([&] { logsumexp_backward(ctx, x, lse, filled({5}, 1.0f), dx); }, {"dlse", "[4]"}, {dx, lse, x});
    expect_rejected([&] { logsumexp_backward(ctx, x, lse, dlse, filled({4, 4}, 1.0f)); }, {"dx", "[4, 5]"},
                    {x, lse, dlse, dx});
}

TEST_F(Contract, MlpCalls) {
    MlpEnergy model = test::random_mlp(rng, {3, 4, 2}, Activation::relu());
    Tensor x = test::uniform_tensor(rng, {5, 3}, -1, 1), e = test::filled({5}, 9.0f);
    Tensor grad = test::filled({5, 3}, 9.0f), logits = test::filled({5, 2}, 9.0f);
    Tensor& labels = ints({0, 1, 1, 0, 1});
    Tensor& bad_labels = ints({0, 1, 2, 0, 1});
    const std::vector<TensorView> outputs = {e, grad, logits};
    expect_rejected([&] { mlp_logits(ctx, model, x, filled({5, 3})); }, {"logits", "[5, 2]"}, {x, logits});
    expect_rejected([&] { energy(ctx, model, filled({5, 4}), e); }, {"energy", "x", "[*, 3]"}, outputs);
    expect_rejected([&] { energy(ctx, model, x, bad_labels, e); }, {"labels[2] = 2", "[0, 2)"}, outputs);
    expect_rejected([&] { energy(ctx, model, x, filled({5}), e); }, {"labels", "int32"}, outputs);
    expect_rejected([&] { energy_grad_x(ctx, model, x, filled({4, 3})); }, {"grad", "[5, 3]"}, outputs);
    expect_rejected([&] { energy_grad_x(ctx, model, x, x); }, {"overlap"}, {x});
    expect_rejected([&] { energy_grad_x(ctx, model, x, bad_labels, grad); }, {"labels[2]"}, outputs);
    expect_rejected([&] { energy_and_grad_x(ctx, model, x, e, filled({5, 2})); }, {"grad", "[5, 3]"}, outputs);
    expect_rejected([&] { energy_and_grad_x(ctx, model, x, labels, filled({4}), grad); }, {"energy", "[5]"}, outputs);
    MlpEnergy g = test::random_mlp(rng, {3, 5, 2}, Activation::relu());
    expect_rejected([&] { param_grad(ctx, model, x, logits, g); }, {"grad", "widths"},
                    parameters_and(g.parameters(), {x, logits}));
    MlpEnergy g2 = model.zeros_like();
    expect_rejected([&] { param_grad(ctx, model, x, filled({5, 3}), g2); }, {"dlogits", "[5, 2]"}, g2.parameters());
    expect_rejected([&] { param_grad(ctx, model, x, logits, model); }, {"grad must not be the model"},
                    parameters_and(model.parameters(), {logits}));
    EXPECT_THROW(MlpEnergy({3}, Activation::relu()), Error);
    EXPECT_THROW(MlpEnergy({3, 0, 2}, Activation::relu()), Error);
    EXPECT_THROW(MlpEnergy({3, 2}, Activation::leaky_relu(NAN)), Error);
}

TEST_F(Contract, Langevin) {
    MlpEnergy model = test::random_mlp(rng, {3, 4, 2}, Activation::relu());
    Tensor x = test::uniform_tensor(rng, {5, 3}, -1, 1);
    for (float bad : {0.0f, -1.0f, NAN, INFINITY}) {
        LangevinParams p;
        p.alpha = bad;
        expect_rejected([&] { langevin_step(ctx, model, x, p, 0); }, {"langevin", "params.alpha"}, {x});
    }
    for (float bad : {-0.1f, NAN, INFINITY}) {
        LangevinParams p;
        p.sigma = bad;
        expect_rejected([&] { langevin_chain(ctx, model, x, p, Steps{0, 3}); }, {"params.sigma"}, {x});
    }
    LangevinParams p;
    p.clamp = true;
    p.lo = 1.0f;
    p.hi = -1.0f;
    expect_rejected([&] { langevin_chain(ctx, model, x, p, Steps{0, 3}); }, {"params.lo", "params.hi"}, {x});
    p.lo = NAN;
    expect_rejected([&] { langevin_chain(ctx, model, x, p, Steps{0, 3}); }, {"params.lo"}, {x});
    LangevinParams mala;
    mala.mala = true;
    mala.sigma = 0.0f;
    expect_rejected([&] { langevin_chain(ctx, model, x, mala, Steps{0, 3}); }, {"MALA"}, {x});
    expect_rejected([&] { langevin_chain(ctx, model, ints({0, 1, 2, 0, 0}), x, LangevinParams{}, Steps{0, 3}); },
                    {"labels[2]"}, {x});
    expect_rejected([&] { langevin_step(ctx, model, filled({5, 2}), LangevinParams{}, 0); }, {"x", "[*, 3]"}, {});
}

TEST_F(Contract, ReplayBufferAndSampler) {
    ReplayBuffer buffer(ctx, 40, 3, -1.0f, 1.0f, 4);
    const TensorView samples = writable(buffer.samples());
    Tensor slots = test::filled({2}, 0.0f);
    Tensor& classes = ints({0, 3});
    expect_rejected([&] { buffer.draw(2, 0.0f, 0, slots, ints({0, 4})); }, {"row_classes[1] = 4"}, {samples, slots});
    expect_rejected([&] { buffer.draw(2, 2.0f, 0, slots, classes); }, {"reinit"}, {samples, slots});
    expect_rejected([&] { buffer.draw(2, 0.0f, 0, slots); }, {"needs row_classes, one class per row"}, {samples, slots});
    expect_rejected([&] { buffer.store(ints({3, 40}), filled({2, 3}), 0, classes); }, {"slots[1] = 40"}, {samples});
    expect_rejected([&] { buffer.store(ints({3, 4}), filled({2, 4}), 0, classes); }, {"samples", "[2, 3]"}, {samples});
    expect_rejected([&] { buffer.assign(filled({39, 3})); }, {"samples", "[40, 3]"}, {samples});
    EXPECT_THROW(ReplayBuffer(ctx, 40, 3, 1.0f, -1.0f), Error);
    EXPECT_THROW(ReplayBuffer(ctx, 40, 3, -1.0f, 1.0f, 7), Error);

    MlpEnergy model = test::random_mlp(rng, {3, 4, 4}, Activation::elu());
    SamplerOptions o;
    o.buffer_size = 40;
    o.classes = 4;
    o.steps = 2;
    LangevinSampler sampler(ctx, 3, o);
    const TensorView held = writable(sampler.buffer()->samples());
    expect_rejected([&] { sampler.sample(model, 2, {}, ints({0, 4})); }, {"labels[1] = 4"}, {held});
    expect_rejected([&] { sampler.sample(model, 0); }, {"batch"}, {held});
    MlpEnergy narrow = test::random_mlp(rng, {2, 4, 4}, Activation::elu());
    expect_rejected([&] { sampler.draw_round(narrow, 2); }, {"input dimension"}, {held});
    SampleRound round = sampler.draw_round(model, 2);
    round.number = 5;
    expect_rejected([&] { sampler.keep_round(round); }, {"keep_round", "round 5"}, {held});
    EXPECT_EQ(sampler.rounds(), 0u);
    o.reinit = 1.5f;
    EXPECT_THROW(LangevinSampler(ctx, 3, o), Error);
}

TEST_F(Contract, RbmCalls) {
    Rbm rbm(6, 4);
    rbm.init_normal(3, 0.5f);
    Tensor v = test::filled({2, 6}, 1.0f), h = test::filled({2, 4}, 5.0f), f = test::filled({2}, 5.0f);
    Tensor pl = test::filled({2}, 5.0f);
    expect_rejected([&] { rbm_hidden_probs(ctx, rbm, v, filled({2, 5})); }, {"ph", "[2, 4]"}, {v, h});
    expect_rejected([&] { rbm_visible_probs(ctx, rbm, filled({2, 6}), v); }, {"h", "[*, 4]"}, {v});
    expect_rejected([&] { gibbs_step(ctx, rbm, v, filled({3, 4}), 0); }, {"gibbs_step", "h"}, {v});
    expect_rejected([&] { free_energy(ctx, rbm, v, filled({3})); }, {"free_energy", "f"}, {v, f});
    Rbm grad = rbm.zeros_like();
    Tensor chains = v.clone();
    expect_rejected([&] { cd_gradient(ctx, rbm, v, chains, grad, Steps{0, 0}); }, {"steps.count", ">= 1"},
                    parameters_and(grad.parameters(), {chains}));
    Rbm wrong(6, 5);
    expect_rejected([&] { cd_gradient(ctx, rbm, v, chains, wrong, Steps{0, 1}); }, {"grad", "shape"},
                    parameters_and(wrong.parameters(), {chains}));
    expect_rejected([&] { cd_gradient(ctx, rbm, v, filled({3, 5}), grad, Steps{0, 1}); }, {"chains", "[*, 6]"},
                    grad.parameters());
    expect_rejected([&] { cd_gradient(ctx, rbm, v, v, grad, Steps{0, 1}); }, {"overlap"}, grad.parameters());
    expect_rejected([&] { pseudo_log_likelihood(ctx, rbm, v, filled({3})); }, {"out", "[2]"}, {v, pl});
    expect_rejected([&] { log_partition_ais(ctx, rbm, filled({5}), AisOptions{}); }, {"base_visible_bias", "[6]"},
                    rbm.parameters());
    AisOptions no_runs;
    no_runs.runs = 0;
    expect_rejected([&] { log_partition_ais(ctx, rbm, filled({6}), no_runs); }, {"runs"}, rbm.parameters());
    expect_rejected([&] { log_partition_exact(ctx, Rbm(30, 26)); }, {"25"}, {});
    EXPECT_THROW(Rbm(0, 3), Error);
    EXPECT_THROW(rbm.init_normal(1, NAN), Error);
}

TEST_F(Contract, OptimizerStep) {
    MlpEnergy model = test::random_mlp(rng, {3, 4, 2}, Activation::relu());
    OptimizerOptions o;
    o.kind = OptimizerKind::Adam;
    Optimizer opt(model, o);
    std::vector<TensorView> state;
    for (const auto& [name, view] : opt.state()) state.push_back(writable(view));
    const std::vector<TensorView> everything = parameters_and(model.parameters(), {});
    std::vector<TensorView> watched = everything;
    watched.insert(watched.end(), state.begin(), state.end());
    MlpEnergy wide = test::random_mlp(rng, {3, 5, 2}, Activation::relu());
    expect_rejected([&] { opt.step(ctx, model, wide); }, {"Optimizer::step", "widths"}, watched);
    std::vector<TensorView> params = model.parameters();
    std::vector<ConstTensorView> grads(params.begin(), params.end());
    expect_rejected([&] { opt.step(ctx, params, grads); }, {"overlap"}, watched);
    grads.pop_back();
    expect_rejected([&] { opt.step(ctx, params, grads); }, {"3 gradients"}, watched);
    expect_rejected([&] { opt.set_lr(-1.0f); }, {"lr"}, watched);
    EXPECT_EQ(opt.options().lr, o.lr);
    SafeTensors missing;
    expect_rejected([&] { opt.load_state(missing, 3); }, {"optim.first.0"}, watched);
    EXPECT_EQ(opt.steps(), 0);
    o.beta1 = 1.0f;
    EXPECT_THROW(Optimizer(model, o), Error);
}

TEST_F(Contract, Trainers) {
    MlpEnergy model = test::random_mlp(rng, {4, 6, 3}, Activation::silu());
    JemTrainOptions o;
    o.batch = 5;
    o.sampler.steps = 2;
    o.sampler.buffer_size = 30;
    JemTrainer trainer(ctx, model, o);
    std::vector<TensorView> state = model.parameters();
    for (const auto& [name, view] : trainer.optimizer().state()) state.push_back(writable(view));
    state.push_back(writable(trainer.sampler().buffer()->samples()));
    Tensor x = test::uniform_tensor(rng, {5, 4}, -1, 1);
    Tensor& labels = ints({0, 1, 2, 1, 0});
    expect_rejected([&] { trainer.step(filled({5, 3}), labels); }, {"JemTrainer::step", "x"}, state);
    expect_rejected([&] { trainer.step(x, ints({0, 1, 2, 1})); }, {"labels", "[5]"}, state);
    expect_rejected([&] { trainer.step(x, ints({0, 1, 2, 3, 0})); }, {"labels[3] = 3"}, state);
    MlpEnergy grad = model.zeros_like();
    std::vector<TensorView> with_grad = parameters_and(grad.parameters(), {});
    expect_rejected([&] { trainer.loss_and_gradient(x, ints({0, 1, 2, 3, 0}), x, grad); }, {"labels[3] = 3"},
                    with_grad);
    expect_rejected([&] { trainer.loss_and_gradient(x, labels, filled({2, 3}), grad); }, {"samples"}, with_grad);
    Tensor images = test::uniform_tensor(rng, {12, 4}, -1, 1);
    expect_rejected([&] { trainer.train_epoch(images, ints({0, 1, 2})); }, {"labels", "[12]"}, state);
    expect_rejected([&] { trainer.train_epoch(filled({3, 4}), ints({0, 1, 2})); }, {"fewer images than one batch"},
                    state);
    expect_rejected([&] { trainer.evaluate(filled({3, 5}), ints({0, 1, 2})); }, {"images", "[*, 4]"}, state);
    const std::string path = (std::filesystem::temp_directory_path() / "ebmkit-contract-rbm.safetensors").string();
    CheckpointContents other;
    Rbm not_a_jem(4, 3);
    add_model(other, not_a_jem, "test");
    other.metadata["format"] = "ebmkit-rbm";
    other.write(path);
    expect_rejected([&] { trainer.load(path); }, {"not an ebmkit JEM checkpoint"}, state);
    std::filesystem::remove(path);
    EXPECT_EQ(trainer.iterations(), 0);
    EXPECT_EQ(trainer.sampler().rounds(), 0u);
    o.batch = 0;
    EXPECT_THROW(JemTrainer(ctx, model, o), Error);

    Rbm rbm(4, 3);
    rbm.init_normal(2, 0.1f);
    RbmTrainOptions ro;
    ro.batch = 2;
    RbmTrainer rbm_trainer(ctx, rbm, ro);
    expect_rejected([&] { rbm_trainer.train_epoch(filled({6, 5})); }, {"data", "[*, 4]"}, rbm.parameters());
    ro.lr = NAN;
    EXPECT_THROW(RbmTrainer(ctx, rbm, ro), Error);
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
    Tensor none;     // empty, for outputs
    const std::vector<std::pair<std::string, std::function<void()>>> calls = {
        {"x", [&] { logsumexp(ctx, e, rows); }},
        {"out", [&] { logsumexp(ctx, lse2, none); }},
        {"lse", [&] { logsumexp_backward(ctx, lse2, e, rows, logits); }},
        {"dlse", [&] { logsumexp_backward(ctx, lse2, rows, e, logits); }},
        {"dx", [&] { logsumexp_backward(ctx, lse2, rows, rows, none); }},
        {"x", [&] { mlp_logits(ctx, model, e, logits); }},
        {"logits", [&] { mlp_logits(ctx, model, x, none); }},
        {"energy", [&] { energy(ctx, model, x, none); }},
        {"labels", [&] { energy(ctx, model, x, e, rows); }},
        {"grad", [&] { energy_grad_x(ctx, model, x, none); }},
        {"labels", [&] { energy_grad_x(ctx, model, x, e, grad); }},
        {"dlogits", [&] { param_grad(ctx, model, x, e, mg); }},
        {"x", [&] { langevin_step(ctx, model, none, LangevinParams{}, 0); }},
        {"v", [&] { rbm_hidden_probs(ctx, rbm, e, h); }},
        {"ph", [&] { rbm_hidden_probs(ctx, rbm, x, none); }},
        {"h", [&] { rbm_visible_probs(ctx, rbm, e, x); }},
        {"h", [&] { gibbs_step(ctx, rbm, x, none, 0); }},
        {"f", [&] { free_energy(ctx, rbm, x, none); }},
        {"data", [&] { cd_gradient(ctx, rbm, e, x, rg, Steps{0, 1}); }},
        {"chains", [&] { cd_gradient(ctx, rbm, x, none, rg, Steps{0, 1}); }},
    };
    for (const auto& [name, call] : calls) {
        expect_rejected(call, {name + " must be", "empty"},
                        parameters_and(mg.parameters(), {x, rows, logits, grad, h}));
    }
}

// Every public operation, each tensor argument in turn replaced by one of the right
// shape but on the other device (a view the check must refuse before any access), or
// of the other element type.
TEST_F(Contract, EveryOperationRejectsTheWrongDeviceAndTypeByName) {
    MlpEnergy model = test::random_mlp(rng, {3, 4, 2}, Activation::relu());
    Rbm rbm(3, 2);
    Tensor x = test::uniform_tensor(rng, {2, 3}, -1, 1);
    Tensor rows = test::filled({2}, 0.0f), logits = test::filled({2, 2}, 0.0f), grad = test::filled({2, 3}, 0.0f);
    Tensor h = test::filled({2, 2}, 0.0f), labels = Tensor::from(std::vector<std::int32_t>{0, 1}, {2});
    MlpEnergy mg = model.zeros_like();
    Rbm rg = rbm.zeros_like();
    std::vector<float> storage(64, 0.0f);
    std::vector<std::int32_t> int_storage(64, 0);
    // The same shape elsewhere: on the device (never dereferenced) or as int32 / float32.
    auto on_device = [&](const Tensor& t) {
        return TensorView(storage.data(), t.shape(), t.dtype(), Device::Cuda);
    };
    auto other_type = [&](const Tensor& t) {
        return t.dtype() == DType::F32 ? TensorView(int_storage.data(), t.shape(), DType::I32, Device::Host)
                                       : TensorView(storage.data(), t.shape(), DType::F32, Device::Host);
    };
    for (const auto& [kind, wrong] : {std::pair<const char*, std::function<TensorView(const Tensor&)>>{"cuda", on_device},
                                      {"int32", other_type}}) {
        const std::vector<std::tuple<std::string, const Tensor*, std::function<void(TensorView)>>> calls = {
            {"x", &x, [&](TensorView w) { mlp_logits(ctx, model, w, logits); }},
            {"logits", &logits, [&](TensorView w) { mlp_logits(ctx, model, x, w); }},
            {"energy", &rows, [&](TensorView w) { energy(ctx, model, x, w); }},
            {"labels", &labels, [&](TensorView w) { energy(ctx, model, x, w, rows); }},
            {"grad", &grad, [&](TensorView w) { energy_grad_x(ctx, model, x, w); }},
            {"dlogits", &logits, [&](TensorView w) { param_grad(ctx, model, x, w, mg); }},
            {"x", &x, [&](TensorView w) { langevin_step(ctx, model, w, LangevinParams{}, 0); }},
            {"labels", &labels, [&](TensorView w) { langevin_chain(ctx, model, w, x, LangevinParams{}, Steps{0, 1}); }},
            {"x", &logits, [&](TensorView w) { logsumexp(ctx, w, rows); }},
            {"out", &rows, [&](TensorView w) { logsumexp(ctx, logits, w); }},
            {"v", &x, [&](TensorView w) { rbm_hidden_probs(ctx, rbm, w, h); }},
            {"ph", &h, [&](TensorView w) { rbm_hidden_probs(ctx, rbm, x, w); }},
            {"f", &rows, [&](TensorView w) { free_energy(ctx, rbm, x, w); }},
            {"data", &x, [&](TensorView w) { cd_gradient(ctx, rbm, w, grad, rg, Steps{0, 1}); }},
            {"out", &rows, [&](TensorView w) { pseudo_log_likelihood(ctx, rbm, x, w); }},
        };
        for (const auto& [name, like, call] : calls) {
            const TensorView w = wrong(*like);
            expect_rejected([&] { call(w); }, {name + " must be"},
                            parameters_and(mg.parameters(), {x, rows, logits, grad, h}));
            EXPECT_EQ(storage, std::vector<float>(64, 0.0f)) << name << " (" << kind << ") was written";
        }
    }
}

TEST_F(Contract, HostOnlyBuildRejectsDeviceWorkWithAClearMessage) {
    if (cuda_available()) GTEST_SKIP() << "a CUDA device is present; this checks the device-less behaviour";
    EXPECT_THROW(Context(Backend::Cuda), Error);
    EXPECT_EQ(Context(Backend::Auto).backend(), Backend::Cpu);
}

}  // namespace
}  // namespace ebmkit
