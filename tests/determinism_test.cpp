// Threads and determinism on the CPU backend: every operation gives the same bits with
// 1, 2 and 3 OpenMP threads (each reduction runs over rows in order, whatever the
// team), and two Contexts used on two threads at once give the same bits as the same
// work done one after the other.
#include <gtest/gtest.h>
#include <omp.h>

#include <cstring>
#include <functional>
#include <thread>

#include "support.hpp"

namespace ebmkit {
namespace {

// The bits of everything work computes (statistics and log Z kept in double, where a
// different summation order shows), with the given number of OpenMP threads.
std::vector<double> with_threads(int threads, const std::function<std::vector<double>()>& work) {
    const int saved = omp_get_max_threads();
    omp_set_num_threads(threads);
    std::vector<double> out = work();
    omp_set_num_threads(saved);
    return out;
}

void append(std::vector<double>& out, ConstTensorView t) {
    const auto v = t.to_vector<float>();
    out.insert(out.end(), v.begin(), v.end());
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

void expect_same_bits_for_1_2_and_3_threads(const char* what, const std::function<std::vector<double>()>& work) {
    const std::vector<double> one = with_threads(1, work);
    for (int threads : {2, 3}) {
        EXPECT_TRUE(same_bits(one, with_threads(threads, work)))
            << what << " differs between 1 and " << threads << " OpenMP threads";
    }
}

TEST(Determinism, MlpAndLangevinAreTheSameWithAnyThreadCount) {
    auto rng = test::fresh_rng();
    const MlpEnergy model = test::random_mlp(rng, {13, 40, 30, 5}, Activation::silu());
    const Tensor x = test::uniform_tensor(rng, {37, 13}, -1, 1), dlogits = test::uniform_tensor(rng, {37, 5}, -1, 1);
    expect_same_bits_for_1_2_and_3_threads("energy_and_grad_x", [&] {
        Context ctx(Backend::Cpu);
        Tensor e({37}), g({37, 13});
        energy_and_grad_x(ctx, model, x, e, g);
        std::vector<double> out;
        append(out, e);
        append(out, g);
        return out;
    });
    expect_same_bits_for_1_2_and_3_threads("param_grad", [&] {
        Context ctx(Backend::Cpu);
        MlpEnergy grad = model.zeros_like();
        param_grad(ctx, model, x, dlogits, grad);
        std::vector<double> out;
        for (const ConstTensorView& t : static_cast<const MlpEnergy&>(grad).parameters()) append(out, t);
        return out;
    });
    for (bool mala : {false, true}) {
        expect_same_bits_for_1_2_and_3_threads(mala ? "MALA chain and trace" : "Langevin chain and trace", [&] {
            Context ctx(Backend::Cpu, 7);
            Tensor chains = x.clone();
            LangevinParams p = LangevinParams::with_temperature(0.01f, 1.0f);
            p.mala = mala;
            const LangevinStats s = langevin_chain(ctx, model, chains, p, Steps{0, 6}, true);
            std::vector<double> out;
            append(out, chains);
            for (double e : s.mean_energy) out.push_back(static_cast<double>(e));
            for (double a : s.acceptance) out.push_back(static_cast<double>(a));
            return out;
        });
    }
}

TEST(Determinism, RbmCallsAreTheSameWithAnyThreadCount) {
    auto rng = test::fresh_rng();
    const Rbm rbm = test::random_rbm(rng, 20, 12, 0.3f);
    const Tensor data = test::random_bits(rng, 45, 20);
    expect_same_bits_for_1_2_and_3_threads("cd_gradient", [&] {
        Context ctx(Backend::Cpu, 3);
        Rbm grad = rbm.zeros_like();
        Tensor chains = data.clone();
        cd_gradient(ctx, rbm, data, chains, grad, Steps{0, 2});
        std::vector<double> out;
        for (const ConstTensorView& t : static_cast<const Rbm&>(grad).parameters()) append(out, t);
        append(out, chains);
        return out;
    });
    expect_same_bits_for_1_2_and_3_threads("log Z, AIS and pseudo-likelihood", [&] {
        Context ctx(Backend::Cpu, 3);
        std::vector<double> out{static_cast<double>(log_partition_exact(ctx, rbm))};
        AisOptions o;
        o.runs = 9;
        o.betas = linear_ais_schedule(50);
        const Tensor base = base_rate_bias(data);
        for (double w : log_partition_ais(ctx, rbm, base, o).log_weights) out.push_back(static_cast<double>(w));
        Tensor pl({45});
        pseudo_log_likelihood(ctx, rbm, data, pl);
        append(out, pl);
        return out;
    });
}

// One JEM run (3 iterations) and one RBM run (2 epochs), each on its own Context.
std::vector<double> jem_run(const MlpEnergy& start, const Tensor& x, const Tensor& labels) {
    Context ctx(Backend::Cpu, 11);
    MlpEnergy model = start.to(Device::Host);
    JemTrainOptions o;
    o.batch = 16;
    o.sampler.steps = 4;
    o.sampler.buffer_size = 40;
    JemTrainer trainer(ctx, model, o);
    std::vector<double> out;
    for (int i = 0; i < 3; ++i) out.push_back(static_cast<double>(trainer.step(x, labels).loss));
    for (const ConstTensorView& t : static_cast<const MlpEnergy&>(model).parameters()) append(out, t);
    return out;
}

std::vector<double> rbm_run(const Rbm& start, const Tensor& data) {
    Context ctx(Backend::Cpu, 12);
    Rbm rbm = start.to(Device::Host);
    RbmTrainOptions o;
    o.batch = 10;
    RbmTrainer trainer(ctx, rbm, o);
    for (int e = 0; e < 2; ++e) trainer.train_epoch(data);
    std::vector<double> out;
    for (const ConstTensorView& t : static_cast<const Rbm&>(rbm).parameters()) append(out, t);
    return out;
}

TEST(Determinism, TwoContextsOnTwoThreadsGiveTheBitsOfOneAfterTheOther) {
    auto rng = test::fresh_rng();
    const MlpEnergy model = test::random_mlp(rng, {8, 16, 4}, Activation::elu());
    const Tensor x = test::uniform_tensor(rng, {16, 8}, -1, 1);
    std::vector<std::int32_t> y(16);
    for (auto& v : y) v = static_cast<std::int32_t>(rng() % 4);
    const Tensor labels = Tensor::from(y, {16});
    const Rbm rbm = test::random_rbm(rng, 10, 6, 0.2f);
    const Tensor data = test::random_bits(rng, 30, 10);
    const std::vector<double> jem_alone = jem_run(model, x, labels), rbm_alone = rbm_run(rbm, data);
    std::vector<double> jem_together, rbm_together, jem_again;
    std::thread a([&] { jem_together = jem_run(model, x, labels); });
    std::thread b([&] { rbm_together = rbm_run(rbm, data); });
    std::thread c([&] { jem_again = jem_run(model, x, labels); });
    a.join();
    b.join();
    c.join();
    EXPECT_TRUE(same_bits(jem_alone, jem_together));
    EXPECT_TRUE(same_bits(jem_alone, jem_again));
    EXPECT_TRUE(same_bits(rbm_alone, rbm_together));
}

}  // namespace
}  // namespace ebmkit
