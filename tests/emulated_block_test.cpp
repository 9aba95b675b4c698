// The fused kernels' FP32 code run on the host (tests/emulation/block_emulation.hpp):
// the bodies of kernels/mlp_fused.cu and kernels/langevin_chain.cu, block by block,
// 256 threads each, with their shared-memory plan, against the CPU reference. This
// checks the tiling, indexing, synchronisation and epilogues of the fused path where
// no GPU is present; the GPU suites check the same kernels, all precisions, on a device.
#include "emulation/block_emulation.hpp"

#include <gtest/gtest.h>

#include "kernels/langevin_chain.cuh"
#include "kernels/mlp_fused.cuh"
#include "support.hpp"

namespace ebmkit {
namespace {

using kernels::mlp_block::Tile;
namespace body = kernels::mlp_fused_body;

kernels::MlpLayers layers_of(const MlpEnergy& model) {
    kernels::MlpLayers l{model.widths(), static_cast<kernels::MlpActivation>(model.activation().kind),
                         model.activation().leaky_slope, {}, {}, Precision::Fp32};
    for (int i = 0; i < model.num_layers(); ++i) {
        l.weights.push_back(model.weight(i).data<float>());
        l.biases.push_back(model.bias(i).data<float>());
    }
    return l;
}

// Runs tile(t, smem) for every block of a grid over `rows` rows, one block at a time.
template <class Tile_>
void run_grid(const Tile& t, std::int64_t rows, int rows_per_block, Tile_ tile) {
    const auto blocks = static_cast<unsigned>((rows + rows_per_block - 1) / rows_per_block);
    for (unsigned b = 0; b < blocks; ++b) {
        std::vector<float> smem(static_cast<std::size_t>(t.bytes) / sizeof(float) + 8, std::nanf(""));
        emulation::run_block(kernels::block::threads, b, [&] { tile(smem.data()); });
    }
}

template <int ROWS>
void run_mlp(const MlpEnergy& model, body::Mode mode, const body::Io& io) {
    const Tile t = kernels::mlp_block::plan(layers_of(model), ROWS, Precision::Fp32, false);
    run_grid(t, io.rows, ROWS, [&](float* smem) {
        switch (mode) {
            case body::Mode::Energy: return body::mlp_fused_tile<ROWS, Precision::Fp32, body::Mode::Energy>(t, io, smem);
            case body::Mode::Score: return body::mlp_fused_tile<ROWS, Precision::Fp32, body::Mode::Score>(t, io, smem);
            case body::Mode::ParamGrad:
                return body::mlp_fused_tile<ROWS, Precision::Fp32, body::Mode::ParamGrad>(t, io, smem);
        }
    });
}

class EmulatedFusedMlp : public ::testing::TestWithParam<int> {};

// Every mode on a 3-layer model over 37 rows (two or three tiles, the last one partial).
TEST_P(EmulatedFusedMlp, EveryModeMatchesTheCpuReference) {
    const int tile_rows = GetParam();
    auto rng = test::fresh_rng();
    Context cpu(Backend::Cpu);
    for (const Activation act : {Activation::elu(), Activation::silu(), Activation::leaky_relu(0.1f)}) {
        const MlpEnergy model = test::random_mlp(rng, {37, 70, 45, 10}, act, 1.5f);
        const std::int64_t n = 37, d = 37, k = 10;
        const Tensor x = test::uniform_tensor(rng, {n, d}, -1, 1);
        std::vector<std::int32_t> y(static_cast<std::size_t>(n));
        for (auto& v : y) v = static_cast<std::int32_t>(rng() % k);
        const Tensor labels = Tensor::from(y, {n});
        auto run = [&](body::Mode mode, const body::Io& io) {
            if (tile_rows == 16) run_mlp<16>(model, mode, io);
            else run_mlp<32>(model, mode, io);
        };
        const char* name = to_string(act.kind);

        Tensor logits = test::poisoned({n, k}, Device::Host), e = test::poisoned({n}, Device::Host);
        body::Io io{};
        io.x = x.data<float>();
        io.rows = n;
        io.logits = logits.data<float>();
        io.energy = e.data<float>();
        run(body::Mode::Energy, io);
        Tensor logits_ref({n, k}), e_ref({n});
        mlp_logits(cpu, model, x, logits_ref);
        energy(cpu, model, x, e_ref);
        EXPECT_LT(test::relative_error(logits.to_vector<float>(), logits_ref.to_vector<float>()), 1e-5) << name;
        EXPECT_LT(test::relative_error(e.to_vector<float>(), e_ref.to_vector<float>()), 1e-5) << name;

        for (bool conditional : {false, true}) {
            Tensor g = test::poisoned({n, d}, Device::Host), es = test::poisoned({n}, Device::Host);
            body::Io score{};
            score.x = x.data<float>();
            score.rows = n;
            score.labels = conditional ? labels.data<std::int32_t>() : nullptr;
            score.energy = es.data<float>();
            score.grad = g.data<float>();
            run(body::Mode::Score, score);
            Tensor g_ref({n, d}), es_ref({n});
            if (conditional) energy_and_grad_x(cpu, model, x, labels, es_ref, g_ref);
            else energy_and_grad_x(cpu, model, x, es_ref, g_ref);
            EXPECT_LT(test::relative_error(g.to_vector<float>(), g_ref.to_vector<float>()), 1e-5) << name << conditional;
            EXPECT_LT(test::relative_error(es.to_vector<float>(), es_ref.to_vector<float>()), 1e-5) << name << conditional;
        }

        // ParamGrad: the kernel's activations and deltas, multiplied out here in double.
        const Tensor dl = test::uniform_tensor(rng, {n, k}, -1, 1);
        Tensor a1 = test::poisoned({n, 70}, Device::Host), a2 = test::poisoned({n, 45}, Device::Host);
        Tensor d1 = test::poisoned({n, 70}, Device::Host), d2 = test::poisoned({n, 45}, Device::Host);
        body::Io pg{};
        pg.x = x.data<float>();
        pg.rows = n;
        pg.dlogits = dl.data<float>();
        pg.activations[1] = a1.data<float>();
        pg.activations[2] = a2.data<float>();
        pg.deltas[1] = d1.data<float>();
        pg.deltas[2] = d2.data<float>();
        run(body::Mode::ParamGrad, pg);
        MlpEnergy ref = model.zeros_like();
        param_grad(cpu, model, x, dl, ref);
        const Tensor* inputs[] = {&x, &a1, &a2};
        const Tensor* deltas[] = {&d1, &d2, &dl};
        for (int l = 0; l < 3; ++l) {
            const std::int64_t in = model.widths()[l], out = model.widths()[l + 1];
            std::vector<double> dw(static_cast<std::size_t>(out * in), 0.0);
            for (std::int64_t r = 0; r < n; ++r) {
                for (std::int64_t o = 0; o < out; ++o) {
                    for (std::int64_t i = 0; i < in; ++i) {
                        dw[o * in + i] += double(deltas[l]->data<float>()[r * out + o]) * inputs[l]->data<float>()[r * in + i];
                    }
                }
            }
            EXPECT_LT(test::relative_error(ref.weight(l).to_vector<float>(), dw), 1e-5) << name << " layer " << l;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(TileHeights, EmulatedFusedMlp, ::testing::Values(16, 32));

// The fused chain: three steps of 21 chains in one "launch", trace included, against
// the CPU reference chain from the same keys.
TEST(EmulatedFusedChain, StepsAndTraceMatchTheCpuReference) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    Context cpu(Backend::Cpu, seed);
    const MlpEnergy model = test::random_mlp(rng, {30, 40, 6}, Activation::tanh(), 1.5f);
    const std::int64_t n = 21, d = 30;
    const std::uint32_t steps = 3, first_step = 7;
    LangevinParams p;
    p.alpha = 0.1f;
    p.sigma = 0.05f;
    p.clamp = true;
    p.first_chain = 5;
    const Tensor start = test::uniform_tensor(rng, {n, d}, -1, 1);
    Tensor x = start.clone(), trace = test::poisoned({steps, n}, Device::Host);
    namespace chain = kernels::langevin_chain_body;
    const chain::Chains c{x.data<float>(), n, nullptr,
                          kernels::LangevinStep{p.alpha, p.sigma, p.clamp, p.lo, p.hi, seed, p.first_chain, first_step},
                          steps, trace.data<float>()};
    const Tile t = kernels::mlp_block::plan(layers_of(model), 16, Precision::Fp32, true);
    run_grid(t, n, 16, [&](float* smem) { chain::langevin_chain_tile<16, Precision::Fp32>(t, c, smem); });
    Tensor ref = start.clone();
    const LangevinStats stats = langevin_chain(cpu, model, ref, p, first_step, steps, true);
    EXPECT_LT(test::relative_error(x.to_vector<float>(), ref.to_vector<float>()), 1e-5);
    for (std::uint32_t s = 0; s < steps; ++s) {
        double mean = 0;
        for (std::int64_t r = 0; r < n; ++r) mean += trace.data<float>()[s * n + r] / double(n);
        EXPECT_NEAR(mean, stats.mean_energy[s], 1e-5 * (1 + std::abs(stats.mean_energy[s]))) << "step " << s;
    }
}

}  // namespace
}  // namespace ebmkit
