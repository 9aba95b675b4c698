// The fused kernels run on the host (tests/emulation/block_emulation.hpp):
// the bodies of kernels/mlp_fused.cu, kernels/langevin_chain.cu and kernels/rbm.cu, block by block,
// 256 threads each, with their shared-memory plan, against the CPU reference; the
// tensor-core paths through an emulated WMMA (whole tiles per thread, TF32 and BF16
// rounding as the hardware rounds operands). This checks the tiling, indexing,
// synchronisation and epilogues where no GPU is present; the GPU suites check the
// same kernels on a device.
#include "emulation/block_emulation.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <utility>
#include <tuple>

#include "kernels/langevin_chain.cuh"
#include "kernels/mlp_fused.cuh"
#include "kernels/rbm.cuh"
#include "jem_reference.hpp"
#include "mlp_reference.hpp"
#include "support.hpp"

namespace ebmkit {
namespace {

using kernels::mlp_block::Tile;
namespace body = kernels::mlp_fused_body;

kernels::MlpLayers layers_of(const MlpEnergy& model, Precision precision) {
    kernels::MlpLayers l{model.widths(), model.activation().kind,
                         model.activation().leaky_slope, {}, {}, precision};
    for (int i = 0; i < model.num_layers(); ++i) {
        l.weights.push_back(model.weight(i).data<float>());
        l.biases.push_back(model.bias(i).data<float>());
    }
    return l;
}

// Runs tile(smem) for every block of the launch over `rows` rows, as the launcher shapes it.
template <class Tile_>
void run_grid(const Tile& t, std::int64_t rows, int rows_per_block, Tile_ tile) {
    const kernels::LaunchShape shape = kernels::row_tiles(rows, rows_per_block, kernels::block::threads, t.bytes, "test");
    emulation::run_grid(shape, [&](unsigned char* smem) { tile(reinterpret_cast<float*>(smem)); });
}

template <int ROWS, Precision P>
void run_mlp(const MlpEnergy& model, body::Mode mode, const body::Io& io) {
    const Tile t = kernels::mlp_block::plan(layers_of(model, P), ROWS, P, false);
    run_grid(t, io.rows, ROWS, [&](float* smem) {
        switch (mode) {
            case body::Mode::Energy: return body::mlp_fused_tile<ROWS, P, body::Mode::Energy>(t, io, smem);
            case body::Mode::Score: return body::mlp_fused_tile<ROWS, P, body::Mode::Score>(t, io, smem);
            case body::Mode::ParamGrad: return body::mlp_fused_tile<ROWS, P, body::Mode::ParamGrad>(t, io, smem);
            case body::Mode::JemGrad: return body::mlp_fused_tile<ROWS, P, body::Mode::JemGrad>(t, io, smem);
        }
    });
}

class EmulatedFusedMlp : public ::testing::TestWithParam<std::tuple<int, Precision>> {};

// Every mode on a 3-layer model over 37 rows (two or three tiles, the last one partial),
// in every precision (the tensor-core paths through the emulated WMMA), against the
// double reference with the same operand rounding (test::rounded_row), beyond the
// slack of operands that may round either way.
TEST_P(EmulatedFusedMlp, EveryModeMatchesTheRoundedReference) {
    const auto [tile_rows, precision] = GetParam();
    const double limit = precision == Precision::Fp32 ? 1e-5 : 1e-4;
    auto rng = test::fresh_rng();
    for (const Activation act : {Activation::elu(), Activation::silu(), Activation::leaky_relu(0.1f), Activation::relu()}) {
        const MlpEnergy model = test::random_mlp(rng, {37, 70, 45, 10}, act, 1.5f);
        const std::int64_t n = 37, d = 37, k = 10;
        const Tensor x = test::uniform_tensor(rng, {n, d}, -1, 1), dl = test::uniform_tensor(rng, {n, k}, -1, 1);
        std::vector<std::int32_t> y(static_cast<std::size_t>(n));
        for (auto& v : y) v = static_cast<std::int32_t>(rng() % k);
        auto run = [&](body::Mode mode, const body::Io& io) {
            kernels::block::with_precision(precision, [&](auto p) {
                kernels::block::with_rows(tile_rows, [&](auto rows) {
                    run_mlp<decltype(rows)::value, decltype(p)::value>(model, mode, io);
                });
            });
        };
        const auto [plain, conditional, given] = test::rounded_batch(model, x, y, dl, precision);
        using test::gather;
        const std::string what = std::string(to_string(act.kind)) + " " + to_string(precision);

        Tensor logits = test::poisoned({n, k}, Device::Host), e = test::poisoned({n}, Device::Host);
        body::Io io{};
        io.x = x.data<float>();
        io.rows = n;
        io.logits = logits.data<float>();
        io.energy = e.data<float>();
        run(body::Mode::Energy, io);
        EXPECT_LT(test::relative_error(logits.to_vector<float>(), gather(plain, [](const auto& r) { return r.z.back(); })),
                  limit) << what;
        EXPECT_LT(test::relative_error(e.to_vector<float>(), gather(plain, [](const auto& r) {
                      return std::vector<double>{r.energy};
                  })), limit) << what;

        for (bool with_labels : {false, true}) {
            const auto& ref = with_labels ? conditional : plain;
            Tensor g = test::poisoned({n, d}, Device::Host), es = test::poisoned({n}, Device::Host);
            body::Io score{};
            score.x = x.data<float>();
            score.rows = n;
            score.labels = with_labels ? y.data() : nullptr;
            score.energy = es.data<float>();
            score.grad = g.data<float>();
            run(body::Mode::Score, score);
            EXPECT_LT(test::relative_error(g.to_vector<float>(), gather(ref, [](const auto& r) { return r.grad_x; })), limit)
                << what << " labels " << with_labels;
            EXPECT_LT(test::relative_error(es.to_vector<float>(), gather(ref, [](const auto& r) {
                          return std::vector<double>{r.energy};
                      })), limit) << what << " labels " << with_labels;
        }

        // ParamGrad: the activations a_l and deltas dL/dz_l the weight products take.
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
        const Tensor* activations[] = {&a1, &a2};
        const Tensor* deltas[] = {&d1, &d2};
        for (int l = 0; l < 2; ++l) {
            EXPECT_LT(test::relative_error(activations[l]->to_vector<float>(), gather(given, [&](const auto& r) { return r.a[l]; })),
                      limit) << what << " a" << l + 1;
            EXPECT_LT(test::relative_error(deltas[l]->to_vector<float>(), gather(given, [&](const auto& r) { return r.delta[l]; })),
                      limit) << what << " delta" << l + 1;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(TileHeightsAndPrecisions, EmulatedFusedMlp,
                         ::testing::Combine(::testing::Values(16, 32),
                                            ::testing::Values(Precision::Fp32, Precision::Tf32, Precision::Bf16)),
                         [](const auto& info) {
                             return std::to_string(std::get<0>(info.param)) + "_rows_" +
                                    to_string(std::get<1>(info.param));
                         });

// The fused chain: three steps of 21 chains in one "launch", trace included, against
// the CPU reference chain from the same keys.
// JemGrad: the head as the forward pass's epilogue. Its dlogits and terms against the
// double rewrite of the head on the logits the Energy mode writes, and its activations
// and deltas bit for bit against ParamGrad given those very dlogits.
TEST(EmulatedFusedMlp, JemEpilogueMatchesTheHeadAndTheParamGradMode) {
    auto rng = test::fresh_rng();
    const MlpEnergy model = test::random_mlp(rng, {37, 70, 45, 10}, Activation::elu(), 1.5f);
    const std::int64_t n = 37, d = 37, k = 10;
    const Tensor x = test::uniform_tensor(rng, {n, d}, -1, 1);
    std::vector<std::int32_t> y(static_cast<std::size_t>(n));
    for (auto& v : y) v = static_cast<std::int32_t>(rng() % k);
    y[20] = 12;  // a bad label
    for (int tile_rows : {16, 32}) {
        for (bool data : {true, false}) {
            const std::string what = std::to_string(tile_rows) + " rows" + (data ? " data" : " samples");
            auto run = [&](body::Mode mode, const body::Io& io) {
                kernels::block::with_rows(tile_rows, [&](auto rows) {
                    run_mlp<decltype(rows)::value, Precision::Fp32>(model, mode, io);
                });
            };
            Tensor logits = test::poisoned({n, k}, Device::Host);
            body::Io energy{};
            energy.x = x.data<float>();
            energy.rows = n;
            energy.logits = logits.data<float>();
            run(body::Mode::Energy, energy);

            const kernels::JemHeadWeights w{1.0f, 0.5f, 0.2f, 1.0f / n, data};
            Tensor dl = test::poisoned({n, k}, Device::Host), a1 = test::poisoned({n, 70}, Device::Host),
                   a2 = test::poisoned({n, 45}, Device::Host), d1 = test::poisoned({n, 70}, Device::Host),
                   d2 = test::poisoned({n, 45}, Device::Host);
            std::vector<kernels::JemRowTerms> terms(n, kernels::JemRowTerms{1e30f, 1e30f, 7, 7});
            body::Io jem{};
            jem.x = x.data<float>();
            jem.rows = n;
            jem.labels = data ? y.data() : nullptr;
            jem.head = w;
            jem.terms = terms.data();
            jem.dlogits_out = dl.data<float>();
            jem.activations[1] = a1.data<float>();
            jem.activations[2] = a2.data<float>();
            jem.deltas[1] = d1.data<float>();
            jem.deltas[2] = d2.data<float>();
            run(body::Mode::JemGrad, jem);
            std::vector<double> want;
            for (std::int64_t r = 0; r < n; ++r) {
                const test::JemRowReference ref = test::jem_row_reference(logits.data<float>() + r * k, int(k),
                                                                          data ? y[r] : -1, data, 1.0, 0.5, 0.2, 1.0 / n);
                want.insert(want.end(), ref.dlogits.begin(), ref.dlogits.end());
                EXPECT_NEAR(terms[r].energy, ref.energy, 1e-5 * (1 + std::abs(ref.energy))) << what << " row " << r;
                EXPECT_NEAR(terms[r].cross_entropy, ref.cross_entropy, 1e-5 * (1 + ref.cross_entropy)) << what;
                EXPECT_EQ(terms[r].correct, ref.correct ? 1 : 0) << what << " row " << r;
                EXPECT_EQ(terms[r].bad_label, ref.bad_label ? 1 : 0) << what << " row " << r;
            }
            EXPECT_LT(test::relative_error(dl.to_vector<float>(), want), 1e-5) << what;

            Tensor b1 = test::poisoned({n, 70}, Device::Host), b2 = test::poisoned({n, 45}, Device::Host),
                   e1 = test::poisoned({n, 70}, Device::Host), e2 = test::poisoned({n, 45}, Device::Host);
            body::Io pg{};
            pg.x = x.data<float>();
            pg.rows = n;
            pg.dlogits = dl.data<float>();
            pg.activations[1] = b1.data<float>();
            pg.activations[2] = b2.data<float>();
            pg.deltas[1] = e1.data<float>();
            pg.deltas[2] = e2.data<float>();
            run(body::Mode::ParamGrad, pg);
            EXPECT_EQ(a1.to_vector<float>(), b1.to_vector<float>()) << what;
            EXPECT_EQ(a2.to_vector<float>(), b2.to_vector<float>()) << what;
            EXPECT_EQ(d1.to_vector<float>(), e1.to_vector<float>()) << what;
            EXPECT_EQ(d2.to_vector<float>(), e2.to_vector<float>()) << what;
        }
    }
}

// The fused chain's row tiles (16 rows, FP32, no labels) on the chains c of n rows.
void run_chain_tiles(const Tile& t, std::int64_t n, const detail::UlaChains& c) {
    emulation::run_grid(kernels::row_tiles(n, 16, kernels::block::threads, t.bytes, "test"), [&](unsigned char* smem) {
        kernels::langevin_chain_body::langevin_chain_tile<16, Precision::Fp32>(t, nullptr, c, smem);
    });
}

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
    const detail::UlaChains c{x.data<float>(), n,
                              kernels::LangevinStep{p.alpha, p.sigma, p.clamp, p.lo, p.hi, seed, p.first_chain, first_step},
                              steps, trace.data<float>(), nullptr};
    const Tile t = kernels::mlp_block::plan(layers_of(model, Precision::Fp32), 16, Precision::Fp32, true);
    run_chain_tiles(t, n, c);
    Tensor ref = start.clone();
    const LangevinStats stats = langevin_chain(cpu, model, ref, p, Steps{first_step, steps}, true);
    EXPECT_LT(test::relative_error(x.to_vector<float>(), ref.to_vector<float>()), 1e-5);
    for (std::uint32_t s = 0; s < steps; ++s) {
        double mean = 0;
        for (std::int64_t r = 0; r < n; ++r) mean += trace.data<float>()[s * n + r] / double(n);
        EXPECT_NEAR(mean, stats.mean_energy[s], 1e-5 * (1 + std::abs(stats.mean_energy[s]))) << "step " << s;
    }
}

// A replayed JEM iteration keys its chain by a counter on the device (host/jem.cpp): the
// chain with first step s and a counter holding k is the chain with first step s + k.
TEST(EmulatedFusedChain, AStepCounterOnTheDeviceAddsToTheFirstStep) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    const MlpEnergy model = test::random_mlp(rng, {30, 40, 6}, Activation::tanh(), 1.5f);
    const std::int64_t n = 21, d = 30;
    const std::uint32_t counter = 1000 + static_cast<std::uint32_t>(rng() % 1000);
    const Tensor start = test::uniform_tensor(rng, {n, d}, -1, 1);
    const Tile t = kernels::mlp_block::plan(layers_of(model, Precision::Fp32), 16, Precision::Fp32, true);
    auto run = [&](std::uint32_t first_step, const std::uint32_t* offset) {
        Tensor x = start.clone();
        const detail::UlaChains c{x.data<float>(), n,
                                  kernels::LangevinStep{0.1f, 0.05f, true, -1.0f, 1.0f, seed, 5, first_step}, 3,
                                  nullptr, offset};
        run_chain_tiles(t, n, c);
        return x.to_vector<float>();
    };
    EXPECT_EQ(run(7, &counter), run(7 + counter, nullptr));
    EXPECT_NE(run(7, &counter), run(7, nullptr));
}

// The CPU twin of a scheduled chain: the segments' chains one after another, keyed on from first_step.
void scheduled_cpu_chain(Context& cpu, const MlpEnergy& model, Tensor& x,
                         const std::vector<kernels::ChainSegment>& segments, std::uint32_t first_step,
                         std::uint32_t first_chain) {
    std::uint32_t step = first_step;
    for (const kernels::ChainSegment& s : segments) {
        LangevinParams p;
        p.alpha = s.alpha;
        p.sigma = s.sigma;
        p.first_chain = first_chain;
        langevin_chain(cpu, model, x, p, Steps{step, s.steps});
        step += s.steps;
    }
}

// Annealed Langevin's schedule (score.hpp): segments of (alpha, sigma, steps), the last
// a deterministic step (sigma 0, Tweedie's), run in one launch, are the CPU's chains of
// the segments one after another, keyed on from the first step.
TEST(EmulatedFusedChain, AScheduleIsItsSegmentsChainsInOneLaunch) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    Context cpu(Backend::Cpu, seed);
    const MlpEnergy model = test::random_mlp(rng, {30, 40, 1}, Activation::softplus(), 1.5f);
    const std::int64_t n = 21, d = 30;
    const std::vector<kernels::ChainSegment> segments = {{0.2f, 0.3f, 2}, {0.05f, 0.1f, 0}, {0.02f, 0.05f, 3},
                                                         {0.01f, 0.0f, 1}};
    const std::uint32_t first_step = 11, first_chain = 3;
    const Tensor start = test::uniform_tensor(rng, {n, d}, -1, 1);
    Tensor x = start.clone();
    detail::UlaChains c{x.data<float>(), n,
                        kernels::LangevinStep{0.0f, 0.0f, false, -1.0f, 1.0f, seed, first_chain, first_step}, 6, nullptr,
                        nullptr};
    c.segments = segments.data();
    c.segment_count = static_cast<int>(segments.size());
    const Tile t = kernels::mlp_block::plan(layers_of(model, Precision::Fp32), 16, Precision::Fp32, true);
    run_chain_tiles(t, n, c);
    Tensor ref = start.clone();
    scheduled_cpu_chain(cpu, model, ref, segments, first_step, first_chain);
    EXPECT_LT(test::relative_error(x.to_vector<float>(), ref.to_vector<float>()), 1e-5);
    EXPECT_GT(test::relative_error(x.to_vector<float>(), start.to_vector<float>()), 1e-2) << "the chains moved";
}

// Runs tile(smem) for every block of a plan's launch: row tiles block by block, a
// cluster's blocks together.
void run_plan(const kernels::TileLaunch& plan, const std::function<void(float*)>& tile) {
    auto body = [&](unsigned char* smem) { tile(reinterpret_cast<float*>(smem)); };
    if (plan.cluster > 1) emulation::run_clusters(plan.shape, body);
    else emulation::run_grid(plan.shape, body);
}

// The cluster plan of the fused kernels (issue 27 item 6): 21 rows of a 130-200-70-10
// model, two 16-row tiles, each across a cluster of four blocks that share out the
// 64-column tiles (200 columns: one each; 130 and 70: some ranks have none; the logits:
// rank 0's) and push them into each other's shared memory. Every mode gives the bits of
// the row-tile plan.
TEST(EmulatedFusedMlp, ClusterPlanIsTheRowTilePlanBitForBit) {
    auto rng = test::fresh_rng();
    const MlpEnergy model = test::random_mlp(rng, {130, 200, 70, 10}, Activation::leaky_relu(0.1f), 1.5f);
    const std::int64_t n = 21, d = 130, k = 10;
    const kernels::MlpLayers layers = layers_of(model, Precision::Fp32);
    const kernels::TileLaunch clusters =
        kernels::mlp_block::tile_launch(layers, n, false, emulation::h100, TilePlan::Clusters, "test");
    ASSERT_EQ(clusters.cluster, 4);
    ASSERT_EQ(clusters.shape.blocks, 8u);
    const kernels::TileLaunch tiles =
        kernels::mlp_block::tile_launch(layers, n, false, emulation::h100, TilePlan::RowTiles, "test");
    ASSERT_EQ(tiles.cluster, 1);
    ASSERT_EQ(tiles.rows_per_block, 16);
    const Tile t = kernels::mlp_block::plan(layers, 16, Precision::Fp32, false);
    ASSERT_EQ(clusters.shape.shared_bytes, t.bytes);
    const Tensor x = test::uniform_tensor(rng, {n, d}, -1, 1), dl = test::uniform_tensor(rng, {n, k}, -1, 1);
    std::vector<std::int32_t> y(static_cast<std::size_t>(n));
    for (auto& v : y) v = static_cast<std::int32_t>(rng() % k);
    // The JEM head takes a bad label (it counts it); the energy modes take checked labels only.
    std::vector<std::int32_t> y_bad = y;
    y_bad[19] = -3;
    struct Out {
        Tensor logits, energy, grad, a1, a2, d1, d2, dlogits;
        std::vector<kernels::JemRowTerms> terms;
    };
    auto run = [&](const kernels::TileLaunch& plan, body::Mode mode, bool labelled) {
        Out o{test::poisoned({n, k}, Device::Host),   test::poisoned({n}, Device::Host),
              test::poisoned({n, d}, Device::Host),   test::poisoned({n, 200}, Device::Host),
              test::poisoned({n, 70}, Device::Host),  test::poisoned({n, 200}, Device::Host),
              test::poisoned({n, 70}, Device::Host),  test::poisoned({n, k}, Device::Host),
              std::vector<kernels::JemRowTerms>(n, kernels::JemRowTerms{1e30f, 1e30f, 7, 7})};
        body::Io io{};
        io.x = x.data<float>();
        io.rows = n;
        io.labels = !labelled ? nullptr : mode == body::Mode::JemGrad ? y_bad.data() : y.data();
        io.logits = o.logits.data<float>();
        io.energy = o.energy.data<float>();
        io.grad = o.grad.data<float>();
        io.dlogits = dl.data<float>();
        io.activations[1] = o.a1.data<float>();
        io.activations[2] = o.a2.data<float>();
        io.deltas[1] = o.d1.data<float>();
        io.deltas[2] = o.d2.data<float>();
        io.head = kernels::JemHeadWeights{1.0f, 0.5f, 0.2f, 1.0f / n, labelled};
        io.terms = o.terms.data();
        io.dlogits_out = o.dlogits.data<float>();
        run_plan(plan, [&](float* smem) {
            switch (mode) {
                case body::Mode::Energy: return body::mlp_fused_tile<16, Precision::Fp32, body::Mode::Energy>(t, io, smem);
                case body::Mode::Score: return body::mlp_fused_tile<16, Precision::Fp32, body::Mode::Score>(t, io, smem);
                case body::Mode::ParamGrad:
                    return body::mlp_fused_tile<16, Precision::Fp32, body::Mode::ParamGrad>(t, io, smem);
                case body::Mode::JemGrad: return body::mlp_fused_tile<16, Precision::Fp32, body::Mode::JemGrad>(t, io, smem);
            }
        });
        return o;
    };
    auto same = [](const Tensor& a, const Tensor& b) { return a.to_vector<float>() == b.to_vector<float>(); };
    for (bool labelled : {false, true}) {
        const Out ce = run(clusters, body::Mode::Energy, labelled), te = run(tiles, body::Mode::Energy, labelled);
        EXPECT_TRUE(same(ce.logits, te.logits)) << labelled;
        EXPECT_TRUE(same(ce.energy, te.energy)) << labelled;
        const Out cs = run(clusters, body::Mode::Score, labelled), ts = run(tiles, body::Mode::Score, labelled);
        EXPECT_TRUE(same(cs.grad, ts.grad)) << labelled;
        EXPECT_TRUE(same(cs.energy, ts.energy)) << labelled;
        const body::Mode backward = labelled ? body::Mode::JemGrad : body::Mode::ParamGrad;
        const Out cp = run(clusters, backward, labelled), tp = run(tiles, backward, labelled);
        EXPECT_TRUE(same(cp.a1, tp.a1) && same(cp.a2, tp.a2)) << labelled;
        EXPECT_TRUE(same(cp.d1, tp.d1) && same(cp.d2, tp.d2)) << labelled;
        if (labelled) {
            EXPECT_TRUE(same(cp.dlogits, tp.dlogits));
            for (std::int64_t r = 0; r < n; ++r) {
                EXPECT_EQ(cp.terms[r].energy, tp.terms[r].energy) << r;
                EXPECT_EQ(cp.terms[r].cross_entropy, tp.terms[r].cross_entropy) << r;
                EXPECT_EQ(cp.terms[r].correct, tp.terms[r].correct) << r;
                EXPECT_EQ(cp.terms[r].bad_label, tp.terms[r].bad_label) << r;
            }
        }
    }
}

// The fused chain's cluster plan: 21 chains of the same shape of model, two steps and
// the trace, in FP32 (with and without labels) and TF32 (the emulated WMMA, labelled),
// the bits of the row-tile plan.
TEST(EmulatedFusedChain, ClusterPlanIsTheRowTilePlanBitForBit) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    const MlpEnergy model = test::random_mlp(rng, {130, 200, 70, 10}, Activation::silu(), 1.5f);
    const std::int64_t n = 21, d = 130;
    const std::uint32_t steps = 2;
    const Tensor start = test::uniform_tensor(rng, {n, d}, -1, 1);
    std::vector<std::int32_t> y(static_cast<std::size_t>(n));
    for (auto& v : y) v = static_cast<std::int32_t>(rng() % 10);
    namespace chain = kernels::langevin_chain_body;
    for (Precision precision : {Precision::Fp32, Precision::Tf32}) {
        const kernels::MlpLayers layers = layers_of(model, precision);
        const kernels::TileLaunch clusters =
            kernels::mlp_block::tile_launch(layers, n, true, emulation::h100, TilePlan::Clusters, "test");
        ASSERT_EQ(clusters.cluster, 4);
        const kernels::TileLaunch tiles =
            kernels::mlp_block::tile_launch(layers, n, true, emulation::h100, TilePlan::RowTiles, "test");
        ASSERT_EQ(tiles.rows_per_block, 16);
        const Tile t = kernels::mlp_block::plan(layers, 16, precision, true);
        auto run = [&](const kernels::TileLaunch& plan, bool labelled) {
            std::pair<Tensor, Tensor> out{start.clone(), test::poisoned({steps, n}, Device::Host)};
            const detail::UlaChains c{out.first.data<float>(), n,
                                      kernels::LangevinStep{0.05f, 0.02f, true, -1.0f, 1.0f, seed, 3, 11}, steps,
                                      out.second.data<float>(), nullptr};
            run_plan(plan, [&](float* smem) {
                kernels::block::with_precision(precision, [&](auto p) {
                    chain::langevin_chain_tile<16, decltype(p)::value>(t, labelled ? y.data() : nullptr, c,
                                                                        reinterpret_cast<unsigned char*>(smem));
                });
            });
            return out;
        };
        for (bool labelled : {false, true}) {
            if (precision == Precision::Tf32 && !labelled) continue;
            const auto a = run(clusters, labelled), b = run(tiles, labelled);
            EXPECT_EQ(a.first.to_vector<float>(), b.first.to_vector<float>()) << to_string(precision) << labelled;
            EXPECT_EQ(a.second.to_vector<float>(), b.second.to_vector<float>()) << to_string(precision) << labelled;
            EXPECT_NE(a.first.to_vector<float>(), start.to_vector<float>());
        }
    }
}

// The fused chain's grid plan (issue 27 item 6): 21 chains of a 100-128-70-10 model on a
// device of 8 multiprocessors with cooperative launches (two tiles in clusters of 2, one
// per column tile, would leave 4 idle, so Auto takes the grid), so the grid is 8 blocks
// that run together, and the products of two 16-row tiles are cut into 1, 2 or 3 inner
// slices (mlp_grid::slicing; asserted) whose partial sums meet after a grid barrier. With
// a box, the trace, labels or none, and a schedule: the CPU twin's chains to rounding
// (FP32; TF32 and BF16, labelled, through the emulated WMMA to their rounding).
TEST(EmulatedFusedChain, GridPlanIsTheCpuChain) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    Context cpu(Backend::Cpu, seed);
    const MlpEnergy model = test::random_mlp(rng, {100, 128, 70, 10}, Activation::silu(), 1.5f);
    const std::int64_t n = 21, d = 100;
    const std::uint32_t steps = 3, first_step = 11, first_chain = 3;
    const Tensor start = test::uniform_tensor(rng, {n, d}, -1, 1);
    std::vector<std::int32_t> y(static_cast<std::size_t>(n));
    for (auto& v : y) v = static_cast<std::int32_t>(rng() % 10);
    const kernels::DeviceLimits eight{emulation::h100.shared_bytes, 8, 8, true};
    namespace mg = kernels::mlp_grid;
    EXPECT_EQ(mg::slicing(2, 128, 100, 8).slices, 2);  // the forward products
    EXPECT_EQ(mg::slicing(2, 10, 70, 8).slices, 3);
    EXPECT_EQ(mg::slicing(2, 70, 10, 8).slices, 1);  // the backward's first
    namespace chain = kernels::langevin_chain_body;
    for (Precision precision : {Precision::Fp32, Precision::Tf32, Precision::Bf16}) {
        const kernels::MlpLayers layers = layers_of(model, precision);
        const kernels::TileLaunch plan = mg::chain_launch(layers, n, eight, TilePlan::Auto);
        ASSERT_EQ(mg::chain_launch(layers, n, eight, TilePlan::Clusters).shape.blocks, 4u);
        ASSERT_TRUE(plan.grid()) << "Auto: 4 blocks leave multiprocessors idle";
        ASSERT_EQ(plan.shape.blocks, 8u);
        const mg::Layout laid = mg::layout(layers, n, 8);
        const Tile& t = laid.tile;
        const mg::Workspace& w = laid.workspace;
        for (int schedule = 0; schedule < 2; ++schedule) {
            for (bool labelled : {false, true}) {
                if ((schedule && labelled) || (precision != Precision::Fp32 && (schedule || !labelled))) continue;
                Tensor x = start.clone(), trace = test::poisoned({steps, n}, Device::Host);
                std::vector<float> work(static_cast<std::size_t>(w.floats()), std::nanf(""));
                const std::vector<kernels::ChainSegment> segments = {{0.2f, 0.3f, 1}, {0.01f, 0.0f, 2}};
                detail::UlaChains c{x.data<float>(), n,
                                    kernels::LangevinStep{0.05f, 0.02f, true, -1.0f, 1.0f, seed, first_chain, first_step},
                                    steps, schedule ? nullptr : trace.data<float>(), nullptr};
                if (schedule) {
                    c.step.clamp = false;
                    c.segments = segments.data();
                    c.segment_count = 2;
                }
                emulation::run_cooperative(plan.shape, [&](unsigned char* shared) {
                    kernels::block::with_precision(precision, [&](auto p) {
                        chain::langevin_chain_grid<decltype(p)::value>(t, labelled ? y.data() : nullptr, c, work.data(),
                                                                    w.activations, shared);
                    });
                });
                Tensor ref = start.clone();
                LangevinStats stats;
                if (schedule) {
                    scheduled_cpu_chain(cpu, model, ref, segments, first_step, first_chain);
                } else {
                    LangevinParams p;
                    p.alpha = 0.05f;
                    p.sigma = 0.02f;
                    p.clamp = true;
                    p.first_chain = first_chain;
                    const ConstTensorView labels(y.data(), {n}, DType::I32, Device::Host);
                    stats = labelled ? langevin_chain(cpu, model, labels, ref, p, Steps{first_step, steps}, true)
                                     : langevin_chain(cpu, model, ref, p, Steps{first_step, steps}, true);
                }
                // The chains' rounding: FP32 products, TF32's 10-bit and BF16's 7-bit operands
                // (measured: about 2e-6 and 2e-5 of x, whose steps move it by a few percent).
                const double tolerance = precision == Precision::Fp32 ? 1e-5 : precision == Precision::Tf32 ? 5e-5 : 4e-4;
                const std::string what = std::string(to_string(precision)) + (labelled ? " labelled" : "") +
                                         (schedule ? " scheduled" : "");
                EXPECT_LT(test::relative_error(x.to_vector<float>(), ref.to_vector<float>()), tolerance) << what;
                EXPECT_GT(test::relative_error(x.to_vector<float>(), start.to_vector<float>()), 1e-3) << what;
                for (std::uint32_t s = 0; s < steps && !schedule; ++s) {
                    double mean = 0;
                    for (std::int64_t r = 0; r < n; ++r) mean += trace.data<float>()[s * n + r] / double(n);
                    const double e = stats.mean_energy[s];
                    EXPECT_NEAR(mean, e, 10 * tolerance * (1 + std::abs(e))) << what << " step " << s;
                }
            }
        }
    }
}

double mismatch_fraction(const std::vector<float>& a, const std::vector<float>& b) {
    std::size_t differ = 0;
    for (std::size_t i = 0; i < a.size(); ++i) differ += !(a[i] == b[i]);
    return static_cast<double>(differ) / static_cast<double>(a.size());
}

// The RBM product kernel over its grid of 64 x 64 tiles: hidden probabilities, visible
// samples (the same uniforms as the CPU; only a u within rounding of p may flip) and the
// softplus sums of the free energy; then the on-chip chain kernel against gibbs_chain.
TEST(EmulatedRbm, ProductsAndChainMatchTheCpuReference) {
    namespace rbm_body = kernels::rbm_body;
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    Context cpu(Backend::Cpu, seed);
    const std::int64_t n = 70, d = 75, m = 66;  // two tiles each way, partial ones included
    const Rbm rbm = test::random_rbm(rng, d, m, 0.5f);
    const kernels::RbmParams dev{rbm.w().data<float>(), rbm.b().data<float>(), rbm.c().data<float>(), d, m,
                                 Precision::Fp32};
    const Tensor v = test::random_bits(rng, n, d), h = test::random_bits(rng, n, m);
    // The product kernels' grid (rbm_body::product_shape), their static staging as dynamic memory here.
    using E = rbm_body::Epilogue;
    auto grid = [&](E epilogue, std::int64_t rows, std::int64_t cols, const std::function<void(unsigned char*)>& tile) {
        kernels::LaunchShape shape = rbm_body::product_shape(epilogue, rows, cols);
        shape.shared_bytes = kernels::block::Staging<64, Precision::Tf32>::bytes;
        emulation::run_grid(shape, tile);
    };
    Tensor ph = test::poisoned({n, m}, Device::Host), ph_ref({n, m});
    const rbm_body::GemmParams hp{v.data<float>(), dev.w, dev.c, ph.data<float>(), n, int(m), int(d), 0, 0, RngPurpose::GibbsHidden};
    grid(E::Probability, n, m, [&](unsigned char* s) { rbm_body::rbm_gemm_tile<Precision::Fp32, false, E::Probability>(hp, s); });
    rbm_hidden_probs(cpu, rbm, v, ph_ref);
    EXPECT_LT(test::relative_error(ph.to_vector<float>(), ph_ref.to_vector<float>()), 1e-5);
    // The tensor-core tiles (emulated WMMA): only the weights are rounded, docs/ARCHITECTURE.md §7's tolerances.
    grid(E::Probability, n, m, [&](unsigned char* s) { rbm_body::rbm_gemm_tile<Precision::Tf32, false, E::Probability>(hp, s); });
    EXPECT_LT(test::relative_error(ph.to_vector<float>(), ph_ref.to_vector<float>()), 3e-3);
    grid(E::Probability, n, m, [&](unsigned char* s) { rbm_body::rbm_gemm_tile<Precision::Bf16, false, E::Probability>(hp, s); });
    EXPECT_LT(test::relative_error(ph.to_vector<float>(), ph_ref.to_vector<float>()), 2e-2);
    Tensor pv_tc = test::poisoned({n, d}, Device::Host), pv_ref({n, d});
    rbm_visible_probs(cpu, rbm, h, pv_ref);
    const rbm_body::GemmParams pvp{h.data<float>(), dev.w, dev.b, pv_tc.data<float>(), n, int(d), int(m), 0, 0, RngPurpose::GibbsVisible};
    grid(E::Probability, n, d, [&](unsigned char* s) { rbm_body::rbm_gemm_tile<Precision::Bf16, true, E::Probability>(pvp, s); });
    EXPECT_LT(test::relative_error(pv_tc.to_vector<float>(), pv_ref.to_vector<float>()), 2e-2);

    Tensor vs = test::poisoned({n, d}, Device::Host);
    const rbm_body::GemmParams vp{h.data<float>(), dev.w, dev.b, vs.data<float>(), n, int(d), int(m), seed, 3, RngPurpose::GibbsVisible};
    grid(E::Sample, n, d, [&](unsigned char* s) { rbm_body::rbm_gemm_tile<Precision::Fp32, true, E::Sample>(vp, s); });
    // The CPU's visible half-sweep from the same h: a full step from v whose hidden sample is h is not
    // available, so draw the visible units by hand from the CPU's probabilities and the same uniforms.
    Tensor pv({n, d});
    rbm_visible_probs(cpu, rbm, h, pv);
    std::vector<float> want(static_cast<std::size_t>(n * d));
    for (std::int64_t r = 0; r < n; ++r) {
        for (std::int64_t i = 0; i < d; ++i) {
            const float u = philox_uniform(seed, RngPurpose::GibbsVisible, static_cast<std::uint32_t>(r), 3,
                                           static_cast<std::uint32_t>(i));
            want[r * d + i] = u <= pv.data<float>()[r * d + i] ? 1.0f : 0.0f;
        }
    }
    EXPECT_LE(mismatch_fraction(vs.to_vector<float>(), want), 1e-3);

    Tensor f = Tensor::zeros({n}), f_ref({n});
    const rbm_body::GemmParams fp{v.data<float>(), dev.w, dev.c, f.data<float>(), n, int(m), int(d), 0, 0, RngPurpose::GibbsHidden};
    grid(E::NegSoftplusSum, n, m, [&](unsigned char* s) { rbm_body::rbm_gemm_tile<Precision::Fp32, false, E::NegSoftplusSum>(fp, s); });
    free_energy(cpu, rbm, v, f_ref);
    std::vector<double> softplus_part(static_cast<std::size_t>(n));  // F + b^T v
    for (std::int64_t r = 0; r < n; ++r) {
        double bv = 0;
        for (std::int64_t i = 0; i < d; ++i) bv += double(rbm.b().data<float>()[i]) * v.data<float>()[r * d + i];
        softplus_part[r] = f_ref.data<float>()[r] + bv;
    }
    EXPECT_LT(test::relative_error(f.to_vector<float>(), softplus_part), 1e-5);

    // Five sweeps of 21 chains on chip, 16-chain tiles.
    const std::int64_t chains = 21;
    const int ld_v = kernels::block::round_up(int(d), 4), ld_h = kernels::block::round_up(int(m), 4);
    const auto bytes = static_cast<std::size_t>(rbm_body::gibbs_chain_bytes(dev, 16));
    const Tensor start = test::random_bits(rng, chains, d);
    Tensor cv = start.clone(), ch = test::poisoned({chains, m}, Device::Host);
    emulation::run_grid(kernels::row_tiles(chains, 16, kernels::block::threads, int(bytes), "test"), [&](unsigned char* shared) {
        rbm_body::rbm_gibbs_chain_tile<16, Precision::Fp32>(dev, cv.data<float>(), ch.data<float>(), chains, seed, 0, 4, 5,
                                                            ld_v, ld_h, shared);
    });
    // A data-parallel rank's shard: chains 12 .. 20 run alone, keyed from first_chain 12,
    // are those rows of the whole run, bit for bit.
    Tensor part_v({chains - 12, d}), part_h = test::poisoned({chains - 12, m}, Device::Host);
    std::copy_n(start.data<float>() + 12 * d, (chains - 12) * d, part_v.data<float>());
    emulation::run_grid(kernels::row_tiles(chains - 12, 16, kernels::block::threads, int(bytes), "test"),
                        [&](unsigned char* shared) {
        rbm_body::rbm_gibbs_chain_tile<16, Precision::Fp32>(dev, part_v.data<float>(), part_h.data<float>(), chains - 12,
                                                            seed, 12, 4, 5, ld_v, ld_h, shared);
    });
    const std::vector<float> whole_v = cv.to_vector<float>(), whole_h = ch.to_vector<float>();
    EXPECT_EQ(part_v.to_vector<float>(), std::vector<float>(whole_v.begin() + 12 * d, whole_v.end()));
    EXPECT_EQ(part_h.to_vector<float>(), std::vector<float>(whole_h.begin() + 12 * m, whole_h.end()));
    Tensor rv = start.clone(), rh({chains, m});
    gibbs_chain(cpu, rbm, rv, rh, Steps{4, 5});
    EXPECT_LE(mismatch_fraction(cv.to_vector<float>(), rv.to_vector<float>()), 5e-3);
    EXPECT_LE(mismatch_fraction(ch.to_vector<float>(), rh.to_vector<float>()), 5e-3);

    // Clamped (inpainting): random units of each chain keep their start values, the rest
    // follow the CPU's clamped chain.
    const Tensor clamp = test::random_bits(rng, chains, d, 0.3f);
    Tensor kv = start.clone(), kh = test::poisoned({chains, m}, Device::Host);
    emulation::run_grid(kernels::row_tiles(chains, 16, kernels::block::threads, int(bytes), "test"), [&](unsigned char* shared) {
        rbm_body::rbm_gibbs_chain_tile<16, Precision::Fp32>(dev, kv.data<float>(), kh.data<float>(), chains, seed, 0, 4, 5,
                                                            ld_v, ld_h, shared, nullptr, clamp.data<float>());
    });
    for (std::int64_t e = 0; e < chains * d; ++e) {
        if (clamp.data<float>()[e] != 0.0f) ASSERT_EQ(kv.data<float>()[e], start.data<float>()[e]) << e;
    }
    Tensor kr = start.clone(), khr({chains, m});
    gibbs_chain(cpu, rbm, kr, khr, Steps{4, 5}, VisibleEvidence{clamp, {}});
    EXPECT_LE(mismatch_fraction(kv.to_vector<float>(), kr.to_vector<float>()), 5e-3);
    EXPECT_GT(mismatch_fraction(kv.to_vector<float>(), cv.to_vector<float>()), 0.0) << "the clamp changed the chains";

    // A visible field (denoising's evidence): the CPU's chains with the same field.
    const Tensor field = test::uniform_tensor(rng, {chains, d}, -2, 2);
    Tensor fv = start.clone(), fh = test::poisoned({chains, m}, Device::Host);
    emulation::run_grid(kernels::row_tiles(chains, 16, kernels::block::threads, int(bytes), "test"), [&](unsigned char* shared) {
        rbm_body::rbm_gibbs_chain_tile<16, Precision::Fp32>(dev, fv.data<float>(), fh.data<float>(), chains, seed, 0, 4, 5,
                                                            ld_v, ld_h, shared, nullptr, nullptr, field.data<float>());
    });
    Tensor fr = start.clone(), fhr({chains, m});
    gibbs_chain(cpu, rbm, fr, fhr, Steps{4, 5}, VisibleEvidence{{}, field});
    EXPECT_LE(mismatch_fraction(fv.to_vector<float>(), fr.to_vector<float>()), 5e-3);
    EXPECT_GT(mismatch_fraction(fv.to_vector<float>(), cv.to_vector<float>()), 0.0) << "the field changed the chains";
}

// The cluster plan (issue 27 item 6): two 16-chain tiles, each across a cluster of four
// blocks that split the 64-unit column tiles of both half-sweeps and read each other's
// through distributed shared memory, run together as on the device. The same bits as
// the row-tile plan, so the same draws as the CPU's chain; and the same again with the
// steps keyed through a device step counter.
TEST(EmulatedRbm, ClusterChainIsTheRowTileChainBitForBit) {
    namespace rbm_body = kernels::rbm_body;
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    const std::int64_t chains = 21, d = 260, m = 300;  // five and five column tiles: ranks own one or two
    const Rbm rbm = test::random_rbm(rng, d, m, 0.3f);
    const kernels::RbmParams dev{rbm.w().data<float>(), rbm.b().data<float>(), rbm.c().data<float>(), d, m,
                                 Precision::Fp32};
    const kernels::TileLaunch clusters = rbm_body::gibbs_chain_plan(dev, chains, emulation::h100, TilePlan::Clusters);
    ASSERT_EQ(clusters.cluster, 4);
    ASSERT_EQ(clusters.shape.blocks, 8u);
    const kernels::TileLaunch tiles = rbm_body::gibbs_chain_plan(dev, chains, emulation::h100, TilePlan::RowTiles);
    ASSERT_EQ(tiles.cluster, 1);
    const int ld_v = kernels::block::round_up(int(d), 4), ld_h = kernels::block::round_up(int(m), 4);
    const Tensor start = test::random_bits(rng, chains, d);
    Tensor cv = start.clone(), ch = test::poisoned({chains, m}, Device::Host);
    emulation::run_clusters(clusters.shape, [&](unsigned char* shared) {
        rbm_body::rbm_gibbs_cluster_tile<Precision::Fp32>(dev, cv.data<float>(), ch.data<float>(), chains, seed, 0, 2, 3,
                                                          ld_v, ld_h, shared);
    });
    Tensor tv = start.clone(), th = test::poisoned({chains, m}, Device::Host);
    emulation::run_grid(tiles.shape, [&](unsigned char* shared) {
        rbm_body::rbm_gibbs_chain_tile<16, Precision::Fp32>(dev, tv.data<float>(), th.data<float>(), chains, seed, 0, 2,
                                                            3, ld_v, ld_h, shared);
    });
    EXPECT_EQ(cv.to_vector<float>(), tv.to_vector<float>());
    EXPECT_EQ(ch.to_vector<float>(), th.to_vector<float>());
    // Keyed through a step counter (a replayed update's, GemmParams::step_offset): steps
    // 0 + 2 .. are steps 2 .. .
    const std::uint32_t counter = 2;
    Tensor ov = start.clone(), oh = test::poisoned({chains, m}, Device::Host);
    emulation::run_clusters(clusters.shape, [&](unsigned char* shared) {
        rbm_body::rbm_gibbs_cluster_tile<Precision::Fp32>(dev, ov.data<float>(), oh.data<float>(), chains, seed, 0, 0, 3,
                                                          ld_v, ld_h, shared, &counter);
    });
    EXPECT_EQ(ov.to_vector<float>(), cv.to_vector<float>());
    EXPECT_EQ(oh.to_vector<float>(), ch.to_vector<float>());
    Context cpu(Backend::Cpu, seed);
    Tensor rv = start.clone(), rh({chains, m});
    gibbs_chain(cpu, rbm, rv, rh, Steps{2, 3});
    EXPECT_LE(mismatch_fraction(cv.to_vector<float>(), rv.to_vector<float>()), 5e-3);
    EXPECT_LE(mismatch_fraction(ch.to_vector<float>(), rh.to_vector<float>()), 5e-3);
}

}  // namespace
}  // namespace ebmkit
