// The MLP's CUDA paths, fused (kernels/mlp_fused.cu) and unfused (cuBLAS + elementwise
// kernels), against the CPU reference: every activation, awkward widths and batch
// sizes, K = 1 and large K, widths up to 1024, Fp32, Tf32 and Bf16 with DESIGN.md's
// tolerances, outputs poisoned with NaN first.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

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
    {1, 1}, {3, 1, 1}, {33, 31, 10}, {784, 256, 256, 10}, {64, 512, 512, 512, 10}, {5, 7, 1000}, {17, 129, 1},
    {2, 1024, 3, 1024, 2}, {9, 5, 5, 5, 5, 5, 5, 5, 5, 4}};
const std::int64_t batches[] = {1, 31, 257};

double tolerance(Precision precision) {
    switch (precision) {
        case Precision::Fp32: return 1e-5;
        case Precision::Tf32: return 3e-3;
        case Precision::Bf16: return 2e-2;
    }
    return 0;
}

struct Variant {
    MlpPath path;
    Precision precision;
};

std::vector<Variant> variants() {
    std::vector<Variant> v;
    for (MlpPath path : {MlpPath::Auto, MlpPath::Unfused}) {
        for (Precision precision : {Precision::Fp32, Precision::Tf32, Precision::Bf16}) v.push_back({path, precision});
    }
    return v;
}

// Every operation of one model on one batch, GPU against CPU.
void compare_all(Context& gpu, const MlpEnergy& model, const Tensor& x, std::mt19937_64& rng) {
    Context cpu(Backend::Cpu);
    const MlpEnergy dmodel = model.to(Device::Cuda);
    const std::int64_t n = x.dim(0), d = model.input_dim(), k = model.num_outputs();
    const Tensor dx = x.to(Device::Cuda);
    std::vector<std::int32_t> y(static_cast<std::size_t>(n));
    for (auto& v : y) v = static_cast<std::int32_t>(rng() % k);
    const Tensor labels = Tensor::from(y, {n});
    const double limit = tolerance(gpu.precision());
    auto compare = [&](const char* what, const Tensor& got, const Tensor& want) {
        EXPECT_LT(test::relative_error(got.to_vector<float>(), want.to_vector<float>()), limit)
            << what << " " << to_string(gpu.mlp_path()) << " " << to_string(gpu.precision()) << " layers "
            << model.num_layers() << " d " << d << " k " << k << " n " << n;
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
    Tensor gy = test::poisoned({n, d}, Device::Cuda), gy_ref({n, d});
    energy_grad_x(gpu, dmodel, dx, labels.to(Device::Cuda), gy);
    energy_grad_x(cpu, model, x, labels, gy_ref);
    compare("conditional grad_x", gy, gy_ref);
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
    // Accumulating adds a second gradient to the first.
    param_grad(gpu, dmodel, dx, dl.to(Device::Cuda), pg, true);
    param_grad(cpu, model, x, dl, pg_ref, true);
    for (int l = 0; l < model.num_layers(); ++l) compare("accumulated dW", pg.weight(l), pg_ref.weight(l));
}

TEST_P(MlpGpu, EveryOperationMatchesCpu) {
    auto rng = test::fresh_rng();
    for (const Variant& variant : variants()) {
        Context gpu(Backend::Cuda, 0, variant.precision);
        gpu.set_mlp_path(variant.path);
        for (const auto& widths : shapes) {
            const MlpEnergy model = test::random_mlp(rng, widths, GetParam(), 1.5f);
            for (std::int64_t n : batches) {
                compare_all(gpu, model, test::uniform_tensor(rng, {n, widths.front()}, -1, 1), rng);
            }
        }
    }
}

INSTANTIATE_TEST_SUITE_P(AllActivations, MlpGpu,
                         ::testing::Values(Activation::relu(), Activation::leaky_relu(0.2f), Activation::elu(),
                                           Activation::silu(), Activation::tanh(), Activation::softplus()),
                         [](const auto& info) { return std::string(to_string(info.param.kind)); });

// Batches large enough for the fused kernels' 32- and 64-row tiles (the choice depends
// on the batch: every multiprocessor gets a block first).
TEST(MlpGpuTiles, LargeBatchesMatchCpu) {
    if (!cuda_available()) GTEST_SKIP() << "no CUDA device: the MLP kernels need one";
    auto rng = test::fresh_rng();
    const MlpEnergy model = test::random_mlp(rng, {33, 31, 10}, Activation::elu(), 1.5f);
    for (Precision precision : {Precision::Fp32, Precision::Bf16}) {
        Context gpu(Backend::Cuda, 0, precision);
        gpu.set_mlp_path(MlpPath::Fused);
        for (std::int64_t n : {5000, 9001}) compare_all(gpu, model, test::uniform_tensor(rng, {n, 33}, -1, 1), rng);
    }
}

// The documented rule: the two benchmark networks and 1024-wide layers take the fused
// path; a hidden layer too wide for 16 rows on chip, or more than 8 layers, does not,
// and insisting on Fused then is an Error that writes nothing.
TEST(MlpGpuTiles, FusedPathTakesTheDocumentedShapes) {
    if (!cuda_available()) GTEST_SKIP() << "no CUDA device: the MLP kernels need one";
    Context gpu(Backend::Cuda);
    auto model = [](std::vector<std::int64_t> widths) { return MlpEnergy(widths, Activation::elu(), Device::Cuda); };
    EXPECT_TRUE(uses_fused_mlp(gpu, model({784, 256, 256, 10}), 65536));
    EXPECT_TRUE(uses_fused_mlp(gpu, model({64, 512, 512, 512, 10}), 4096));
    EXPECT_TRUE(uses_fused_mlp(gpu, model({3, 1024, 1024, 1}), 1));
    const MlpEnergy wide = model({8, 4000, 3});
    EXPECT_FALSE(uses_fused_mlp(gpu, wide, 100));
    EXPECT_FALSE(uses_fused_mlp(gpu, model({2, 2, 2, 2, 2, 2, 2, 2, 2, 2}), 100));
    gpu.set_mlp_path(MlpPath::Unfused);
    EXPECT_FALSE(uses_fused_mlp(gpu, model({784, 256, 256, 10}), 4096));
    gpu.set_mlp_path(MlpPath::Fused);
    Tensor e = test::poisoned({4}, Device::Cuda);
    EXPECT_THROW(energy(gpu, wide, Tensor::zeros({4, 8}, DType::F32, Device::Cuda), e), Error);
    for (float v : e.to_vector<float>()) EXPECT_TRUE(std::isnan(v));
}

}  // namespace
}  // namespace ebmkit
