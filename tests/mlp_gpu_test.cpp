// The MLP's CUDA path (cuBLAS + elementwise kernels) against the CPU reference:
// every activation, awkward widths and batch sizes, K = 1 and large K, Fp32 and Tf32
// with DESIGN.md's tolerances, outputs poisoned with NaN first.
#include <gtest/gtest.h>

#include "support.hpp"

namespace ebmkit {
namespace {

class MlpGpu : public ::testing::TestWithParam<Activation> {
protected:
    void SetUp() override {
        if (!cuda_available()) GTEST_SKIP() << "no CUDA device: the MLP kernels need one";
    }
};

const std::vector<std::vector<std::int64_t>> shapes = {
    {1, 1}, {3, 1, 1}, {33, 31, 10}, {784, 256, 256, 10}, {64, 512, 512, 512, 10}, {5, 7, 1000}, {17, 129, 1}};
const std::int64_t batches[] = {1, 31, 257};

TEST_P(MlpGpu, EveryOperationMatchesCpu) {
    auto rng = test::fresh_rng();
    for (Precision precision : {Precision::Fp32, Precision::Tf32}) {
        const double tolerance = precision == Precision::Fp32 ? 1e-5 : 3e-3;
        Context gpu(Backend::Cuda, 0, precision), cpu(Backend::Cpu);
        for (const auto& widths : shapes) {
            MlpEnergy model = test::random_mlp(rng, widths, GetParam(), 1.5f);
            const MlpEnergy dmodel = model.to(Device::Cuda);
            const std::int64_t d = widths.front(), k = widths.back();
            for (std::int64_t n : batches) {
                const Tensor x = test::uniform_tensor(rng, {n, d}, -1, 1);
                const Tensor dx = x.to(Device::Cuda);
                std::vector<std::int32_t> y(static_cast<std::size_t>(n));
                for (auto& v : y) v = static_cast<std::int32_t>(rng() % k);
                const Tensor labels = Tensor::from(y, {n});
                auto compare = [&](const char* what, const Tensor& got, const Tensor& want) {
                    EXPECT_LT(test::relative_error(got.to_vector<float>(), want.to_vector<float>()), tolerance)
                        << what << " " << to_string(precision) << " widths " << widths.size() << " d " << d << " n " << n;
                };
                Tensor logits = test::poisoned({n, k}, Device::Cuda), logits_ref({n, k});
                mlp_logits(gpu, dmodel, dx, logits);
                mlp_logits(cpu, model, x, logits_ref);
                compare("logits", logits, logits_ref);
                Tensor e = test::poisoned({n}, Device::Cuda), e_ref({n});
                energy(gpu, dmodel, dx, e);
                energy(cpu, model, x, e_ref);
                compare("energy", e, e_ref);
                Tensor ey = test::poisoned({n}, Device::Cuda), ey_ref({n});
                energy(gpu, dmodel, dx, labels.to(Device::Cuda), ey);
                energy(cpu, model, x, labels, ey_ref);
                compare("conditional energy", ey, ey_ref);
                Tensor g = test::poisoned({n, d}, Device::Cuda), g_ref({n, d});
                energy_grad_x(gpu, dmodel, dx, g);
                energy_grad_x(cpu, model, x, g_ref);
                compare("grad_x", g, g_ref);
                Tensor e2 = test::poisoned({n}, Device::Cuda), g2 = test::poisoned({n, d}, Device::Cuda);
                energy_and_grad_x(gpu, dmodel, dx, e2, g2);
                compare("energy_and_grad_x energy", e2, e_ref);
                compare("energy_and_grad_x grad", g2, g_ref);
                const Tensor dl = test::uniform_tensor(rng, {n, k}, -1, 1);
                MlpEnergy pg = dmodel.zeros_like(), pg_ref = model.zeros_like();
                param_grad(gpu, dmodel, dx, dl.to(Device::Cuda), pg);
                param_grad(cpu, model, x, dl, pg_ref);
                for (int l = 0; l < model.num_layers(); ++l) {
                    compare("dW", pg.weight(l), pg_ref.weight(l));
                    compare("db", pg.bias(l), pg_ref.bias(l));
                }
            }
        }
    }
}

INSTANTIATE_TEST_SUITE_P(AllActivations, MlpGpu,
                         ::testing::Values(Activation::relu(), Activation::leaky_relu(0.2f), Activation::elu(),
                                           Activation::silu(), Activation::tanh(), Activation::softplus()),
                         [](const auto& info) { return std::string(to_string(info.param.kind)); });

}  // namespace
}  // namespace ebmkit
