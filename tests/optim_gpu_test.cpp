// The optimizer kernels on the device: three steps of every rule over every element of
// every parameter of a model, against the independent rewrite in double
// (tests/optim_reference.hpp). (CD's momentum ascent on the device is covered by
// RbmGpu.TrainerOnTheGpuFollowsTheCpu, and its body by optim_emulated_test.) Skipped,
// saying why, where no device is present.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "optim_reference.hpp"
#include "support.hpp"
#if EBMKIT_TEST_CUDART
#include <cuda_runtime_api.h>
#endif

namespace ebmkit {
namespace {

TEST(OptimizerGpu, EveryElementFollowsTheRuleInDouble) {
    if (!cuda_available()) GTEST_SKIP() << "no CUDA device: the optimizer kernels need one";
    auto rng = test::fresh_rng();
    for (OptimizerKind kind : {OptimizerKind::Sgd, OptimizerKind::Adam, OptimizerKind::Adamax}) {
        Context gpu(Backend::Cuda);
        const MlpEnergy start = test::random_mlp(rng, {33, 17, 5}, Activation::relu());
        MlpEnergy device = start.to(Device::Cuda);
        OptimizerOptions o;
        o.kind = kind;
        o.lr = 1e-2f;
        o.weight_decay = 0.01f;
        Optimizer opt(device, o);
        // Per parameter tensor: value, first and second moments in double.
        std::vector<std::vector<double>> p, m, v;
        for (int l = 0; l < start.num_layers(); ++l) {
            for (const ConstTensorView& t : {ConstTensorView(start.weight(l)), ConstTensorView(start.bias(l))}) {
                const std::vector<float> host = t.to_vector<float>();
                p.emplace_back(host.begin(), host.end());
                m.emplace_back(host.size(), 0.0);
                v.emplace_back(host.size(), 0.0);
            }
        }
        for (int t = 1; t <= 3; ++t) {
            const MlpEnergy g = test::random_mlp(rng, {33, 17, 5}, Activation::relu());
            opt.step(gpu, device, g.to(Device::Cuda));
            const test::OptimizerStep s{kind, o.lr, o.momentum, o.beta1, o.beta2, o.eps, o.weight_decay,
                                        static_cast<float>(1.0 - std::pow(double(o.beta1), t)),
                                        static_cast<float>(1.0 - std::pow(double(o.beta2), t))};
            std::size_t k = 0;
            for (int l = 0; l < start.num_layers(); ++l) {
                for (const ConstTensorView& gt : {ConstTensorView(g.weight(l)), ConstTensorView(g.bias(l))}) {
                    const std::vector<float> grad = gt.to_vector<float>();
                    for (std::size_t i = 0; i < grad.size(); ++i) test::reference_optimizer_step(kind, p[k][i], m[k][i], v[k][i], grad[i], s);
                    ++k;
                }
            }
        }
        std::size_t k = 0;
        for (int l = 0; l < device.num_layers(); ++l) {
            for (const ConstTensorView& t : {ConstTensorView(device.weight(l)), ConstTensorView(device.bias(l))}) {
                const std::vector<float> got = t.to_vector<float>();
                for (std::size_t i = 0; i < got.size(); ++i) {
                    ASSERT_NEAR(got[i], p[k][i], 1e-6 * (1 + std::abs(p[k][i])))
                        << to_string(kind) << " layer " << l << " tensor " << k << " element " << i;
                }
                ++k;
            }
        }
    }
}

#if EBMKIT_TEST_CUDART
// One parameter buffer (issue 27 item 4): a step of a model is one kernel launch over its
// flat buffers, whatever its depth. Counted as the nodes of the graph that capturing the
// context's stream during a step records; the per-parameter step records 2L of them.
TEST(OptimizerGpu, AModelsStepIsOneLaunch) {
    if (!cuda_available()) GTEST_SKIP() << "no CUDA device: the optimizer kernels need one";
    auto rng = test::fresh_rng();
    Context gpu(Backend::Cuda);
    const std::vector<std::int64_t> widths = {33, 17, 9, 5};
    MlpEnergy model = test::random_mlp(rng, widths, Activation::relu()).to(Device::Cuda);
    const MlpEnergy grad = test::random_mlp(rng, widths, Activation::relu()).to(Device::Cuda);
    auto launches = [&](const std::function<void()>& step) {
        cudaStream_t stream = gpu.stream();
        EXPECT_EQ(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal), cudaSuccess);
        step();
        cudaGraph_t graph = nullptr;
        EXPECT_EQ(cudaStreamEndCapture(stream, &graph), cudaSuccess);
        std::size_t nodes = 0;
        EXPECT_EQ(cudaGraphGetNodes(graph, nullptr, &nodes), cudaSuccess);
        cudaGraphDestroy(graph);
        return nodes;
    };
    for (OptimizerKind kind : {OptimizerKind::Sgd, OptimizerKind::Adam, OptimizerKind::Adamax}) {
        OptimizerOptions o;
        o.kind = kind;
        Optimizer opt(model, o);
        opt.step(gpu, model, grad);  // outside the capture: whatever a first step may set up
        gpu.synchronize();
        EXPECT_EQ(launches([&] { opt.step(gpu, model, grad); }), 1u) << to_string(kind);
        EXPECT_EQ(launches([&] { opt.step(gpu, model.parameters(), grad.parameters()); }), 2 * (widths.size() - 1))
            << to_string(kind);
    }
}
#endif

}  // namespace
}  // namespace ebmkit
