// The unfused MLP path's elementwise kernel bodies (kernels/mlp.cuh) on host threads
// (tests/emulation/), over their launch shape for an H100 and for a small GPU (where the
// grid-stride loop takes several passes), against double rewrites: bias + activation
// for every activation, the activation's derivative times an upstream gradient, and the
// energy head, marginal (-softmax from lse, -lse; a row of -inf logits has gradient 0)
// and labelled (-onehot, -logit of the label). Every output element is poisoned first,
// so one the loop skips is seen.
#include "emulation/block_emulation.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "kernels/mlp.cuh"
#include "kernels/mlp.hpp"
#include "mlp_reference.hpp"
#include "support.hpp"

namespace ebmkit {
namespace {

constexpr float poison = std::numeric_limits<float>::quiet_NaN();

const Activation every_activation[] = {Activation::relu(), Activation::leaky_relu(0.2f), Activation::elu(),
                                       Activation::silu(), Activation::tanh(), Activation::softplus()};

std::string on(const kernels::DeviceLimits& limits) { return " on " + std::to_string(limits.multiprocessors) + " SMs"; }

TEST(EmulatedMlpElementwise, BiasActivationMatchesItsDoubleRewrite) {
    auto rng = test::fresh_rng();
    const std::int64_t rows = 37, cols = 129;  // 4,773 elements: passes on the small GPU, a partial block
    for (const kernels::DeviceLimits& limits : {emulation::h100, emulation::small_gpu}) {
        for (const Activation& act : every_activation) {
            const std::vector<float> z0 = test::uniform_values(rng, rows * cols, -3, 3);
            const std::vector<float> b = test::uniform_values(rng, cols, -1, 1);
            std::vector<float> z = z0, a(rows * cols, poison), last = z0;
            emulation::run_grid(kernels::mlp_elementwise_shape(rows * cols, limits), [&](unsigned char*) {
                kernels::mlp_body::bias_activation(z.data(), a.data(), b.data(), rows, cols, act.kind, act.leaky_slope);
            });
            // The last layer: no activation, a null output.
            emulation::run_grid(kernels::mlp_elementwise_shape(rows * cols, limits), [&](unsigned char*) {
                kernels::mlp_body::bias_activation(last.data(), nullptr, b.data(), rows, cols, act.kind,
                                                   act.leaky_slope);
            });
            std::vector<double> want_z(rows * cols), want_a(rows * cols);
            for (std::int64_t i = 0; i < rows * cols; ++i) {
                want_z[i] = static_cast<double>(z0[i]) + b[i % cols];
                want_a[i] = test::activation_value(act, want_z[i]);
            }
            const std::string what = std::string(to_string(act.kind)) + on(limits);
            EXPECT_LT(test::relative_error(z, want_z), 1e-7) << what;
            EXPECT_LT(test::relative_error(a, want_a), 1e-6) << what;
            EXPECT_EQ(last, z) << what << ": the last layer's z differs from a hidden layer's";
        }
    }
}

TEST(EmulatedMlpElementwise, ActivationBackwardMatchesItsDoubleRewrite) {
    auto rng = test::fresh_rng();
    const std::int64_t n = 5003;
    for (const kernels::DeviceLimits& limits : {emulation::h100, emulation::small_gpu}) {
        for (const Activation& act : every_activation) {
            const std::vector<float> z = test::uniform_values(rng, n, -3, 3);
            const std::vector<float> g0 = test::uniform_values(rng, n, -1, 1);
            std::vector<float> g = g0;
            emulation::run_grid(kernels::mlp_elementwise_shape(n, limits), [&](unsigned char*) {
                kernels::mlp_body::activation_backward(g.data(), z.data(), n, act.kind, act.leaky_slope);
            });
            std::vector<double> want(n);
            for (std::int64_t i = 0; i < n; ++i) want[i] = g0[i] * test::activation_derivative(act, z[i]);
            EXPECT_LT(test::relative_error(g, want), 1e-6) << to_string(act.kind) << on(limits);
        }
    }
}

TEST(EmulatedMlpElementwise, EnergyHeadMatchesSoftmaxAndOneHot) {
    auto rng = test::fresh_rng();
    const std::int64_t rows = 501, k = 10;
    for (const kernels::DeviceLimits& limits : {emulation::h100, emulation::small_gpu}) {
        std::vector<float> logits = test::uniform_values(rng, rows * k, -5, 5);
        for (std::int64_t j = 0; j < k; ++j) logits[7 * k + j] = -std::numeric_limits<float>::infinity();
        std::vector<float> lse(rows);
        std::vector<double> want_lse(rows);
        for (std::int64_t r = 0; r < rows; ++r) {
            want_lse[r] = r == 7 ? -INFINITY
                                 : test::reference_lse(std::vector<double>(logits.begin() + r * k, logits.begin() + (r + 1) * k));
            lse[r] = static_cast<float>(want_lse[r]);
        }
        std::vector<std::int32_t> labels(rows);
        for (std::int64_t r = 0; r < rows; ++r) labels[r] = static_cast<std::int32_t>(rng() % k);
        const auto shape = kernels::mlp_elementwise_shape(rows * k, limits);

        std::vector<float> dlogits(rows * k, poison), energy(rows, poison);
        emulation::run_grid(shape, [&](unsigned char*) {
            kernels::mlp_body::energy_head(logits.data(), nullptr, lse.data(), rows, k, dlogits.data(), energy.data());
        });
        std::vector<double> want_d(rows * k), want_e(rows);
        for (std::int64_t r = 0; r < rows; ++r) {
            want_e[r] = -want_lse[r];
            for (std::int64_t j = 0; j < k; ++j) {
                want_d[r * k + j] = r == 7 ? 0.0 : -std::exp(static_cast<double>(logits[r * k + j]) - want_lse[r]);
            }
        }
        EXPECT_EQ(energy[7], INFINITY) << on(limits) << ": the energy of a row of -inf logits";
        want_e[7] = energy[7] = 0.0;  // compared above; relative_error needs finite values
        EXPECT_LT(test::relative_error(dlogits, want_d), 1e-6) << "marginal" << on(limits);
        EXPECT_LT(test::relative_error(energy, want_e), 1e-7) << "marginal" << on(limits);

        std::vector<float> onehot(rows * k, poison), labelled(rows, poison);
        emulation::run_grid(shape, [&](unsigned char*) {
            kernels::mlp_body::energy_head(logits.data(), labels.data(), nullptr, rows, k, onehot.data(),
                                           labelled.data());
        });
        bool exact = true;
        for (std::int64_t r = 0; r < rows; ++r) {
            exact &= labelled[r] == -logits[r * k + labels[r]];
            for (std::int64_t j = 0; j < k; ++j) exact &= onehot[r * k + j] == (j == labels[r] ? -1.0f : 0.0f);
        }
        EXPECT_TRUE(exact) << "labelled" << on(limits) << ": -onehot(y) and -logits[y], exactly";

        // The gradient alone: no energy written anywhere.
        std::vector<float> alone(rows * k, poison);
        emulation::run_grid(shape, [&](unsigned char*) {
            kernels::mlp_body::energy_head(logits.data(), nullptr, lse.data(), rows, k, alone.data(), nullptr);
        });
        EXPECT_EQ(alone, dlogits) << "gradient only" << on(limits);
    }
}

}  // namespace
}  // namespace ebmkit
