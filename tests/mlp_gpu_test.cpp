// The MLP's CUDA paths, fused (kernels/mlp_fused.cu) and unfused (cuBLAS + elementwise
// kernels), against the double reference with the precision's operand rounding
// (test::rounded_row): every activation, awkward widths and batch sizes, K = 1 and
// large K, widths up to 1024, Fp32, Tf32 and Bf16, outputs poisoned with NaN first.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "mlp_reference.hpp"
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

struct Variant {
    MlpPath path;
    Precision precision;
};

std::vector<Variant> variants() {
    std::vector<Variant> v;
    for (MlpPath path : {MlpPath::Fused, MlpPath::Unfused}) {
        for (Precision precision : {Precision::Fp32, Precision::Tf32, Precision::Bf16}) v.push_back({path, precision});
    }
    return v;
}

// Errors are judged against the outputs' magnitude (test::relative_error), beyond the
// ambiguous sites' allowance. The fused kernels round each product's operands exactly as
// test::rounded_row does (Products::Rounded), so they are held to float tolerance beyond
// the slack of operands that may round either way: 1e-5 in Fp32, 1e-4 (summation order)
// in Tf32 and Bf16. cuBLAS rounds in its own way (Products::Library: every operand and
// every kink within its unit roundoff is a site): docs/ARCHITECTURE.md §7's tolerances, 3e-3 and 2e-2;
// the same in FP32 as the fused kernels, where only the summation order differs.
double tolerance(Precision precision, bool fused) {
    if (precision == Precision::Fp32) return 1e-5;
    if (fused) return 1e-4;
    return precision == Precision::Tf32 ? 3e-3 : 2e-2;
}

// Every operation of one model on one batch, on the GPU, against the reference with the
// context's operand rounding (the exact double reference in Fp32).
void compare_all(Context& gpu, const MlpEnergy& model, const Tensor& x, std::mt19937_64& rng) {
    const MlpEnergy dmodel = model.to(Device::Cuda);
    const std::int64_t n = x.dim(0), d = model.input_dim(), k = model.num_outputs();
    const Precision precision = gpu.precision();
    const bool fused = uses_fused_mlp(gpu, dmodel, n);
    const Tensor dx = x.to(Device::Cuda), dl = test::uniform_tensor(rng, {n, k}, -1, 1);
    const Tensor ddl = dl.to(Device::Cuda);
    std::vector<std::int32_t> y(static_cast<std::size_t>(n));
    for (auto& v : y) v = static_cast<std::int32_t>(rng() % k);
    const Tensor labels = Tensor::from(y, {n}), dlabels = labels.to(Device::Cuda);
    const auto [plain, conditional, given] =
        test::rounded_batch(model, x, y, dl, precision, fused ? test::Products::Rounded : test::Products::Library);
    using test::gather;
    auto logits_of = [](const test::RoundedRow& r) { return r.z.back(); };
    auto energy_of = [](const test::RoundedRow& r) { return std::vector<double>{r.energy}; };
    auto grad_of = [](const test::RoundedRow& r) { return r.grad_x; };
    const Activation& act = model.activation();
    auto compare = [&](const char* what, const Tensor& got, const test::Expected& want) {
        EXPECT_LT(test::relative_error(got.to_vector<float>(), want), tolerance(precision, fused))
            << what << " " << (fused ? "fused" : "unfused") << " " << to_string(precision) << " "
            << to_string(act.kind) << " layers " << model.num_layers() << " d " << d << " k " << k << " n " << n;
    };
    Tensor logits = test::poisoned({n, k}, Device::Cuda);
    mlp_logits(gpu, dmodel, dx, logits);
    compare("logits", logits, gather(plain, logits_of));
    Tensor e = test::poisoned({n}, Device::Cuda);
    energy(gpu, dmodel, dx, e);
    compare("energy", e, gather(plain, energy_of));
    Tensor ey = test::poisoned({n}, Device::Cuda);
    energy(gpu, dmodel, dx, dlabels, ey);
    compare("conditional energy", ey, gather(conditional, energy_of));
    Tensor g = test::poisoned({n, d}, Device::Cuda);
    energy_grad_x(gpu, dmodel, dx, g);
    compare("grad_x", g, gather(plain, grad_of));
    Tensor gy = test::poisoned({n, d}, Device::Cuda);
    energy_grad_x(gpu, dmodel, dx, dlabels, gy);
    compare("conditional grad_x", gy, gather(conditional, grad_of));
    Tensor e2 = test::poisoned({n}, Device::Cuda), g2 = test::poisoned({n, d}, Device::Cuda);
    energy_and_grad_x(gpu, dmodel, dx, e2, g2);
    compare("energy_and_grad_x energy", e2, gather(plain, energy_of));
    compare("energy_and_grad_x grad", g2, gather(plain, grad_of));
    // Parameter gradients: dW_l = sum_r delta_{l+1} a_l^T, db_l = sum_r delta_{l+1} from the
    // reference's deltas and activations (a_0 = x), with their sites' allowance (rows flip
    // independently: mean squares add; within a row, (d delta a + delta d a)^2 <=
    // 2 (d delta^2 a^2 + delta^2 d a^2)) and error scales (in quadrature, as rounded_row's). The weight products run on cuBLAS
    // with its own rounding, hence at least docs/ARCHITECTURE.md §7's tolerance in every path.
    MlpEnergy pg = dmodel.zeros_like();
    param_grad(gpu, dmodel, dx, ddl, pg);
    const double product_limit =
        std::max(precision == Precision::Fp32 ? 1e-5 : precision == Precision::Tf32 ? 3e-3 : 2e-2, tolerance(precision, fused));
    for (int l = 0; l < model.num_layers(); ++l) {
        const std::int64_t in = model.widths()[l], out = model.widths()[l + 1];
        test::Expected dw, db;
        for (test::Expected* e : {&dw, &db}) {
            const std::size_t size = static_cast<std::size_t>(e == &dw ? out * in : out);
            e->value.assign(size, 0.0);
            e->flip_square.assign(size, 0.0);
            e->scale.assign(size, 0.0);
        }
        for (std::int64_t r = 0; r < n; ++r) {
            const test::ExpectedRow& row = given[r];
            const std::vector<double>&delta = row.value.delta[l], &delta_flips = row.flip_square.delta[l],
                  &delta_scale = row.scale.delta[l];
            const std::vector<double> x_row(x.data<float>() + r * d, x.data<float>() + (r + 1) * d);
            std::vector<double> x_abs(x_row.size()), x_flips(x_row.size(), 0.0);
            for (std::size_t i = 0; i < x_row.size(); ++i) x_abs[i] = std::abs(x_row[i]);
            const std::vector<double>& a = l > 0 ? row.value.a[l - 1] : x_row;
            const std::vector<double>& a_flips = l > 0 ? row.flip_square.a[l - 1] : x_flips;
            const std::vector<double>& a_scale = l > 0 ? row.scale.a[l - 1] : x_abs;
            for (std::int64_t o = 0; o < out; ++o) {
                db.value[o] += delta[o];
                db.flip_square[o] += delta_flips[o];
                db.scale[o] += delta_scale[o] * delta_scale[o];
                for (std::int64_t i = 0; i < in; ++i) {
                    const std::size_t j = static_cast<std::size_t>(o * in + i);
                    dw.value[j] += delta[o] * a[i];
                    dw.flip_square[j] += 2 * (delta_flips[o] * a[i] * a[i] + delta[o] * delta[o] * a_flips[i]);
                    dw.scale[j] += std::pow(delta_scale[o] * a[i], 2) + std::pow(delta[o] * a_scale[i], 2);
                }
            }
        }
        for (test::Expected* e : {&dw, &db}) {
            for (double& v : e->scale) v = std::sqrt(v);  // the rows' squares, added above
        }
        EXPECT_LT(test::relative_error(pg.weight(l).to_vector<float>(), dw), product_limit)
            << "dW layer " << l << " " << to_string(precision) << (fused ? " fused" : " unfused") << " "
            << to_string(act.kind);
        EXPECT_LT(test::relative_error(pg.bias(l).to_vector<float>(), db), product_limit)
            << "db layer " << l << " " << to_string(precision) << (fused ? " fused" : " unfused") << " "
            << to_string(act.kind);
    }
    // Accumulating adds the same gradient again.
    param_grad(gpu, dmodel, dx, ddl, pg, true);
    for (int l = 0; l < model.num_layers(); ++l) {
        MlpEnergy once = dmodel.zeros_like();
        param_grad(gpu, dmodel, dx, ddl, once);
        std::vector<double> twice;
        for (float v : once.weight(l).to_vector<float>()) twice.push_back(2.0 * v);
        EXPECT_LT(test::relative_error(pg.weight(l).to_vector<float>(), twice), 1e-6) << "accumulated dW layer " << l;
    }
}

TEST_P(MlpGpu, EveryOperationMatchesCpu) {
    auto rng = test::fresh_rng();
    for (const Variant& variant : variants()) {
        Context gpu(Backend::Cuda, 0, variant.precision);
        gpu.set_mlp_path(variant.path);
        for (const auto& widths : shapes) {
            const MlpEnergy model = test::random_mlp(rng, widths, GetParam(), 1.5f);
            for (std::int64_t n : batches) {
                // Where the fused kernels cannot take the model, insisting on them is an Error (below).
                if (variant.path == MlpPath::Fused && !uses_fused_mlp(gpu, model.to(Device::Cuda), n)) continue;
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

// A small batch under the cluster plan (JEM's model at 64 rows: clusters of 4 blocks for
// the energy, 8 for the score on an H100) gives the row tiles' energies, input gradients
// and parameter gradients bit for bit, in every precision.
TEST(MlpGpuTiles, ClusterPlanGivesTheRowTileBits) {
    if (!cuda_available()) GTEST_SKIP() << "no CUDA device: the MLP kernels need one";
    auto rng = test::fresh_rng();
    const MlpEnergy model = test::random_mlp(rng, {784, 256, 256, 10}, Activation::silu()).to(Device::Cuda);
    const Tensor x = test::uniform_tensor(rng, {64, 784}, -1, 1).to(Device::Cuda);
    const Tensor dlogits = test::uniform_tensor(rng, {64, 10}, -1, 1).to(Device::Cuda);
    for (Precision precision : {Precision::Fp32, Precision::Tf32, Precision::Bf16}) {
        std::vector<std::vector<float>> out[2];
        for (int i = 0; i < 2; ++i) {
            Context gpu(Backend::Cuda, 0, precision);
            gpu.set_mlp_path(MlpPath::Fused);
            gpu.set_tile_plan(i == 0 ? TilePlan::RowTiles : TilePlan::Clusters);
            Tensor e({64}, DType::F32, Device::Cuda), g({64, 784}, DType::F32, Device::Cuda);
            MlpEnergy grad = model.zeros_like();
            energy(gpu, model, x, e);
            out[i].push_back(e.to_vector<float>());
            energy_grad_x(gpu, model, x, g);
            out[i].push_back(g.to_vector<float>());
            param_grad(gpu, model, x, dlogits, grad);
            for (int l = 0; l < grad.num_layers(); ++l) {
                out[i].push_back(grad.weight(l).to_vector<float>());
                out[i].push_back(grad.bias(l).to_vector<float>());
            }
        }
        for (std::size_t k = 0; k < out[0].size(); ++k) EXPECT_EQ(out[0][k], out[1][k]) << to_string(precision) << " output " << k;
    }
}

// The documented rule: Auto takes the unfused path (measured faster on an H200); asked
// for, the two benchmark networks and 1024-wide layers take the fused path; a hidden
// layer too wide for 16 rows on chip, or more than 8 layers, does not, and insisting on
// Fused then is an Error that writes nothing.
TEST(MlpGpuTiles, FusedPathTakesTheDocumentedShapes) {
    if (!cuda_available()) GTEST_SKIP() << "no CUDA device: the MLP kernels need one";
    Context gpu(Backend::Cuda);
    auto model = [](std::vector<std::int64_t> widths) { return MlpEnergy(widths, Activation::elu(), Device::Cuda); };
    EXPECT_FALSE(uses_fused_mlp(gpu, model({784, 256, 256, 10}), 4096));
    gpu.set_mlp_path(MlpPath::Fused);
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
    const Tensor zeros = Tensor::zeros({4, 8}, DType::F32, Device::Cuda);
    EXPECT_THROW(energy(gpu, wide, zeros, e), Error);
    for (float v : e.to_vector<float>()) EXPECT_TRUE(std::isnan(v));
}

}  // namespace
}  // namespace ebmkit
