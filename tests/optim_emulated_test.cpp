// The parameter-update kernel bodies (kernels/optim.cuh) on host threads
// (tests/emulation/), over the launch shape for an H100 and for a small GPU (where the
// grid-stride loop takes several passes), against an independent rewrite of each rule
// in double: SGD with momentum, Adam and Adamax with PyTorch's weight decay, and CD's
// momentum ascent.
#include "emulation/block_emulation.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "kernels/optim.cuh"
#include "kernels/optim.hpp"
#include "optim_reference.hpp"
#include "support.hpp"

namespace ebmkit {
namespace {

using kernels::OptimizerStep;

const char* name(OptimizerKind r) { return r == OptimizerKind::Sgd ? "sgd" : r == OptimizerKind::Adam ? "adam" : "adamax"; }

TEST(EmulatedOptimizer, EveryRuleMatchesItsDoubleRewriteOverThreeSteps) {
    auto rng = test::fresh_rng();
    const std::int64_t n = 5003;  // two passes of 16 blocks x 256 threads on the small GPU, a partial block
    for (const kernels::DeviceLimits& limits : {emulation::h100, emulation::small_gpu}) {
        for (OptimizerKind rule : {OptimizerKind::Sgd, OptimizerKind::Adam, OptimizerKind::Adamax}) {
            std::vector<float> p = test::uniform_values(rng, n, -1, 1), m(n, 0.0f), v(n, 0.0f);
            std::vector<double> rp(p.begin(), p.end()), rm(n, 0.0), rv(n, 0.0);
            for (int t = 1; t <= 3; ++t) {
                const std::vector<float> g = test::uniform_values(rng, n, -2, 2);
                const float b1 = 0.9f, b2 = 0.999f;
                const OptimizerStep s{rule, 1e-2f, 0.5f, b1, b2, 1e-8f, 1e-3f,
                                      1.0f - std::pow(b1, float(t)), 1.0f - std::pow(b2, float(t))};
                float* second = rule == OptimizerKind::Sgd ? nullptr : v.data();
                emulation::run_grid(kernels::optim_shape(n, limits), [&](unsigned char*) {
                    kernels::optim_body::optimizer_rule(p.data(), m.data(), second, g.data(), n, s);
                });
                for (std::int64_t i = 0; i < n; ++i) test::reference_optimizer_step(rule, rp[i], rm[i], rv[i], g[i], s);
                const std::string what = std::string(name(rule)) + " step " + std::to_string(t) + " on " +
                                         std::to_string(limits.multiprocessors) + " SMs";
                EXPECT_LT(test::relative_error(p, rp), 1e-6) << what;
                EXPECT_LT(test::relative_error(m, rm), 1e-6) << what;
                if (second) EXPECT_LT(test::relative_error(v, rv), 1e-6) << what;
                else EXPECT_EQ(v, std::vector<float>(n, 0.0f)) << what << ": SGD wrote a second moment";
            }
        }
    }
}

// velocity <- momentum velocity + lr (g - decay p), p <- p + velocity.
TEST(EmulatedOptimizer, MomentumAscentMatchesItsDoubleRewrite) {
    auto rng = test::fresh_rng();
    const std::int64_t n = 4099;
    std::vector<float> p = test::uniform_values(rng, n, -1, 1), vel = test::uniform_values(rng, n, -0.1f, 0.1f);
    const std::vector<float> g = test::uniform_values(rng, n, -1, 1);
    std::vector<double> rp(n), rv(n);
    const double lr = 0.05, momentum = 0.5, decay = 1e-4;
    for (std::int64_t i = 0; i < n; ++i) {
        rv[i] = momentum * vel[i] + lr * (g[i] - decay * p[i]);
        rp[i] = p[i] + rv[i];
    }
    emulation::run_grid(kernels::optim_shape(n, emulation::small_gpu), [&](unsigned char*) {
        kernels::optim_body::momentum_ascent(p.data(), vel.data(), g.data(), n, float(lr), float(momentum), float(decay));
    });
    EXPECT_LT(test::relative_error(p, rp), 1e-6);
    EXPECT_LT(test::relative_error(vel, rv), 1e-6);
}

}  // namespace
}  // namespace ebmkit
