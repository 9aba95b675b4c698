// The seeded JEM run of the checkpoint kill test: the writer process and the test's
// uninterrupted reference build the very same one.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "ebmkit/ebmkit.hpp"

namespace ebmkit::test {

struct CheckpointRun {
    static constexpr std::int64_t rows = 8, dim = 6;
    Context ctx{Backend::Cpu, 99};
    MlpEnergy model = make_model();
    JemTrainer trainer{ctx, model, options()};
    std::int64_t next = 0;

    static JemTrainOptions options() {
        JemTrainOptions o;
        o.batch = rows;
        o.sampler.steps = 3;
        o.sampler.buffer_size = 40;
        return o;
    }
    static MlpEnergy make_model() {
        MlpEnergy m({dim, 16, 3}, Activation::elu());
        m.init_uniform(7);
        return m;
    }
    // Iteration i's batch, a function of i alone.
    static void batch(std::int64_t i, Tensor& x, Tensor& y) {
        std::mt19937_64 rng(static_cast<std::uint64_t>(i) * 7919 + 1);
        std::uniform_real_distribution<float> u(-1, 1);
        std::vector<float> xv(rows * dim);
        for (float& v : xv) v = u(rng);
        std::vector<std::int32_t> yv(rows);
        for (auto& v : yv) v = static_cast<std::int32_t>(rng() % 3);
        x = Tensor::from(xv, {rows, dim});
        y = Tensor::from(yv, {rows});
    }
    void step() {
        Tensor x, y;
        batch(next++, x, y);
        trainer.step(x, y);
    }
};

}  // namespace ebmkit::test
