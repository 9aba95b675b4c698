// The fused denoising-score-matching kernel (kernels/score_fused.cuh) on the host, block
// by block (tests/emulation/), against the CPU twin's Taylor-mode passes in double
// (host/cpu/score.hpp): per row the residual and the loss, and per layer the factors
// a, ad, delta, deltad whose row sums make the weight gradient; then those factors
// combined as the launcher combines them (dW = deltad^T a + delta^T ad, db = sum
// deltad) against the twin's gradient. Every activation, FP32 at tile heights 16 and
// 32 over 37 rows (the last tile partial); TF32 at 16 over 21 rows. Sliced score
// matching's sequence (kernels/score_sliced.cuh) runs whole, its products a host
// product, against the twin's loss and gradient.
#include "emulation/block_emulation.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "host/cpu/score.hpp"
#include "kernels/score_fused.cuh"
#include "kernels/score_sliced.cuh"
#include "kernels/score_unfused.cuh"
#include "support.hpp"

namespace ebmkit {
namespace {

namespace sf = kernels::score_fused;

kernels::MlpLayers layers_of(const MlpEnergy& model, Precision precision) {
    kernels::MlpLayers l{model.widths(), model.activation().kind, model.activation().leaky_slope, {}, {}, precision};
    for (int i = 0; i < model.num_layers(); ++i) {
        l.weights.push_back(model.weight(i).data<float>());
        l.biases.push_back(model.bias(i).data<float>());
    }
    return l;
}

struct Outputs {
    std::vector<float> residual, row_loss;
    std::vector<std::vector<float>> a, ad, delta, deltad;
};

Outputs run_kernel(const MlpEnergy& model, Precision precision, int tile_rows, const Tensor& x, const Tensor& noise,
                   const Tensor& sigma, bool scaled, bool weighted, float scale) {
    const std::int64_t n = x.dim(0), d = x.dim(1);
    const int layers = model.num_layers();
    Outputs o;
    const float poison = std::nanf("");
    o.residual.assign(static_cast<std::size_t>(n * d), poison);
    o.row_loss.assign(static_cast<std::size_t>(n), poison);
    sf::DenoisingIo io{};
    io.x = x.data<float>();
    io.noise = noise.data<float>();
    io.sigma = sigma.data<float>();
    io.rows = n;
    io.scaled_by_noise = scaled;
    io.sigma_squared_weight = weighted;
    io.scale = scale;
    io.residual = o.residual.data();
    io.row_loss = o.row_loss.data();
    o.a.resize(layers), o.ad.resize(layers), o.delta.resize(layers), o.deltad.resize(layers);
    for (int l = 0; l < layers; ++l) {
        const auto in = static_cast<std::size_t>(n * model.widths()[l]), out = static_cast<std::size_t>(n * model.widths()[l + 1]);
        o.a[l].assign(in, poison), o.ad[l].assign(in, poison), o.delta[l].assign(out, poison), o.deltad[l].assign(out, poison);
        io.a[l] = o.a[l].data(), io.ad[l] = o.ad[l].data(), io.delta[l] = o.delta[l].data(), io.deltad[l] = o.deltad[l].data();
    }
    const sf::Tile t = sf::plan(layers_of(model, precision), tile_rows, precision);
    const kernels::LaunchShape shape = kernels::row_tiles(n, tile_rows, kernels::block::threads, t.bytes, "test");
    kernels::block::with_precision(precision, [&](auto p) {
        kernels::block::with_rows(tile_rows, [&](auto rows) {
            emulation::run_grid(shape, [&](unsigned char* smem) {
                sf::denoising_tile<decltype(rows)::value, decltype(p)::value>(t, io, reinterpret_cast<float*>(smem));
            });
        });
    });
    return o;
}

void expect_close(const std::vector<float>& got, const std::vector<double>& want, double limit, const std::string& what) {
    EXPECT_LT(test::relative_error(got, want), limit) << what;
}

struct Case {
    Precision precision;
    int tile_rows;
    std::int64_t rows;
};

class EmulatedDenoisingScore : public ::testing::TestWithParam<Case> {};

TEST_P(EmulatedDenoisingScore, FactorsAndGradientAreTheTwins) {
    const Case c = GetParam();
    // TF32 rounds every product's operands to 10 bits (2^-11 relative); over the smooth
    // activations the worst factor of eight seeds was 1.7e-3. A wrong index or sign is
    // an O(1) error.
    const double limit = c.precision == Precision::Fp32 ? 2e-5 : 1e-2;
    auto rng = test::fresh_rng();
    const std::vector<Activation> activations = {Activation::relu(), Activation::leaky_relu(0.1f), Activation::elu(),
                                                 Activation::silu(), Activation::tanh(), Activation::softplus()};
    for (std::size_t which = 0; which < activations.size(); ++which) {
        const Activation act = activations[which];
        // TF32 rounds the pre-activations (about 1e-3 relative), which moves a unit near
        // ReLU's, leaky ReLU's or ELU's kink across it against the exact twin: an O(1)
        // change of act' or act'' there. The piecewise activations are checked in FP32.
        if (c.precision != Precision::Fp32 && (act.kind == ActivationKind::Relu || act.kind == ActivationKind::LeakyRelu ||
                                               act.kind == ActivationKind::Elu)) {
            continue;
        }
        const std::int64_t n = c.rows, d = 11;
        const MlpEnergy model = test::random_mlp(rng, {d, 70, 45, 3}, act, 1.5f);
        const cpu::MlpParams<const float> p = cpu::params_of(model);
        const Tensor x = test::uniform_tensor(rng, {n, d}, -1, 1), noise = test::uniform_tensor(rng, {n, d}, -2, 2);
        const Tensor sigma = test::uniform_tensor(rng, {n}, 0.05f, 1.0f);
        // Plain and noise-conditional weighted DSM on alternate activations (the emulation is slow).
        {
            const bool scaled = which % 2 == 1, weighted = scaled;
            const float scale = 1.0f / static_cast<float>(n);
            const std::string what = std::string(to_string(act.kind)) + (scaled ? " scaled" : "") + " " +
                                     to_string(c.precision) + " tile " + std::to_string(c.tile_rows);
            const Outputs o = run_kernel(model, c.precision, c.tile_rows, x, noise, sigma, scaled, weighted, scale);

            // The twin, row by row: the residual and loss from the value pass, the factors
            // from the pass along u = kappa res.
            const int layers = model.num_layers();
            std::vector<double> residual, row_loss;
            std::vector<std::vector<double>> a(layers), ad(layers), delta(layers), deltad(layers);
            cpu::ScoreGradient combined;
            for (int l = 0; l < layers; ++l) {
                combined.weight.emplace_back(static_cast<std::size_t>(model.widths()[l + 1] * model.widths()[l]), 0.0);
                combined.bias.emplace_back(static_cast<std::size_t>(model.widths()[l + 1]), 0.0);
            }
            for (std::int64_t r = 0; r < n; ++r) {
                const double s = sigma.data<float>()[r], cr = scaled ? s : 1.0, w = weighted ? s * s : 1.0;
                std::vector<float> noisy(d);
                for (std::int64_t i = 0; i < d; ++i) {
                    noisy[i] = static_cast<float>(x.data<float>()[r * d + i] + s * noise.data<float>()[r * d + i]);
                }
                const cpu::JetPass at = cpu::jet_pass(p, noisy.data(), nullptr);
                std::vector<double> u(d);
                double sq = 0;
                for (std::int64_t i = 0; i < d; ++i) {
                    const double res = -at.input_grad[i].value() / cr + noise.data<float>()[r * d + i] / s;
                    residual.push_back(res);
                    sq += res * res;
                    u[i] = -w / cr * scale * res;
                }
                row_loss.push_back(w / 2 * sq);
                const cpu::JetPass along = cpu::jet_pass(p, noisy.data(), u.data());
                for (int l = 0; l < layers; ++l) {
                    for (const cpu::Jet& j : along.input[l]) a[l].push_back(j.c[0]), ad[l].push_back(j.c[1]);
                    for (const cpu::Jet& j : along.delta[l]) delta[l].push_back(j.c[0]), deltad[l].push_back(j.c[1]);
                }
            }
            expect_close(o.residual, residual, limit, what + ": residual");
            expect_close(o.row_loss, row_loss, limit, what + ": row loss");
            for (int l = 0; l < layers; ++l) {
                const std::string at = what + ": layer " + std::to_string(l);
                expect_close(o.a[l], a[l], limit, at + " a");
                expect_close(o.ad[l], ad[l], limit, at + " ad");
                expect_close(o.delta[l], delta[l], limit, at + " delta");
                expect_close(o.deltad[l], deltad[l], limit, at + " deltad");
            }
            // The launcher's combination of the kernel's factors is the twin's gradient.
            const cpu::ScoreGradient want = cpu::denoising_gradient(p, x.data<float>(), noise.data<float>(),
                                                                    sigma.data<float>(), n, {scaled, weighted});
            for (int l = 0; l < layers; ++l) {
                const std::int64_t in = model.widths()[l], out = model.widths()[l + 1];
                std::vector<double> dw(static_cast<std::size_t>(in * out), 0.0), db(static_cast<std::size_t>(out), 0.0);
                for (std::int64_t r = 0; r < n; ++r) {
                    for (std::int64_t i = 0; i < out; ++i) {
                        const double dd = o.deltad[l][r * out + i], dv = o.delta[l][r * out + i];
                        db[i] += dd;
                        for (std::int64_t j = 0; j < in; ++j) {
                            dw[i * in + j] += dd * o.a[l][r * in + j] + dv * o.ad[l][r * in + j];
                        }
                    }
                }
                std::vector<float> dwf(dw.begin(), dw.end()), dbf(db.begin(), db.end());
                expect_close(dwf, want.weight[l], c.precision == Precision::Fp32 ? 10 * limit : limit, what + ": dW" + std::to_string(l));
                expect_close(dbf, want.bias[l], c.precision == Precision::Fp32 ? 10 * limit : limit, what + ": db" + std::to_string(l));
            }
        }
    }
}

INSTANTIATE_TEST_SUITE_P(TileHeightsAndPrecisions, EmulatedDenoisingScore,
                         ::testing::Values(Case{Precision::Fp32, 16, 37}, Case{Precision::Fp32, 32, 37},
                                           Case{Precision::Tf32, 16, 21}),
                         [](const auto& info) {
                             return std::string(to_string(info.param.precision)) + "_" +
                                    std::to_string(info.param.tile_rows) + "_rows" + std::to_string(info.param.rows);
                         });

// The unfused path's own kernels (kernels/score_unfused.cuh) over a small grid (several
// grid-stride passes), each against its formula in double.
TEST(EmulatedUnfusedDenoisingScore, ElementwiseAndRowKernelsAreTheirFormulas) {
    namespace ub = kernels::score_unfused_body;
    auto rng = test::fresh_rng();
    const std::int64_t rows = 37, d = 11, k = 3, n = rows * d;
    const kernels::LaunchShape shape = kernels::grid_stride(n, 64, 64, emulation::small_gpu);
    auto run = [&](const std::function<void()>& f) { emulation::run_grid(shape, [&](unsigned char*) { f(); }); };
    const std::vector<float> x = test::uniform_values(rng, n, -1, 1), eps = test::uniform_values(rng, n, -2, 2);
    const std::vector<float> g = test::uniform_values(rng, n, -1, 1), z = test::uniform_values(rng, n, -2, 2);
    const std::vector<float> zd = test::uniform_values(rng, n, -1, 1), sigma = test::uniform_values(rng, rows, 0.05f, 1);
    std::vector<float> out(n), residual(n), u(n), loss(rows);
    run([&] { ub::perturb(x.data(), eps.data(), sigma.data(), rows, d, out.data()); });
    for (std::int64_t i = 0; i < n; ++i) ASSERT_NEAR(out[i], x[i] + double(sigma[i / d]) * eps[i], 1e-6);
    run([&] {
        ub::residual_rows(g.data(), eps.data(), sigma.data(), rows, d, true, true, 0.25f, residual.data(), u.data(),
                          loss.data());
    });
    for (std::int64_t r = 0; r < rows; ++r) {
        const double s = sigma[r];
        double sq = 0;
        for (std::int64_t i = r * d; i < (r + 1) * d; ++i) {
            const double res = -g[i] / s + eps[i] / s;
            ASSERT_NEAR(residual[i], res, 1e-5 * (1 + std::abs(res)));
            ASSERT_NEAR(u[i], -s * s / s * 0.25 * res, 1e-5 * (1 + std::abs(res)));
            sq += res * res;
        }
        ASSERT_NEAR(loss[r], s * s / 2 * sq, 1e-5 * (1 + s * s * sq));
    }
    for (const Activation act : {Activation::elu(), Activation::silu(), Activation::tanh(), Activation::softplus()}) {
        std::vector<float> gd = test::uniform_values(rng, n, -1, 1), before = gd, t(n);
        run([&] { ub::times_act_grad(g.data(), z.data(), n, act.kind, act.leaky_slope, t.data()); });
        run([&] { ub::tangent_delta(gd.data(), g.data(), z.data(), zd.data(), n, act.kind, act.leaky_slope); });
        for (std::int64_t i = 0; i < n; ++i) {
            // act' and act'' by central differences of the (float) activation, a step of
            // 1e-2 (rounding over h^2 stays near 1e-3), away from ELU's kink at 0.
            const double h = 1e-2, zi = z[i];
            if (act.kind == ActivationKind::Elu && std::abs(zi) < 2 * h) continue;
            auto f = [&](double v) { return double(detail::activate(act.kind, act.leaky_slope, float(v))); };
            const double d1 = (f(zi + h) - f(zi - h)) / (2 * h), d2 = (f(zi + h) - 2 * f(zi) + f(zi - h)) / (h * h);
            ASSERT_NEAR(t[i], g[i] * d1, 2e-3) << to_string(act.kind);
            ASSERT_NEAR(gd[i], before[i] * d1 + g[i] * d2 * zd[i], 5e-3) << to_string(act.kind);
        }
    }
    // The tangent head: deltad = delta (fd - p . fd), p = -delta.
    const std::vector<float> delta = test::uniform_values(rng, rows * k, -1, 0), fd = test::uniform_values(rng, rows * k, -1, 1);
    std::vector<float> dd(rows * k);
    run([&] { ub::tangent_head_rows(delta.data(), fd.data(), rows, k, dd.data()); });
    for (std::int64_t r = 0; r < rows; ++r) {
        double dot = 0;
        for (std::int64_t j = r * k; j < (r + 1) * k; ++j) dot += -double(delta[j]) * fd[j];
        for (std::int64_t j = r * k; j < (r + 1) * k; ++j) ASSERT_NEAR(dd[j], delta[j] * (fd[j] - dot), 1e-6);
    }
}

// The plan: three buffers per hidden layer and two for the output fit a 784-256-256-1
// model on an H100 at 32 rows per block (taken once the rows fill every SM at 32) but
// not at 64; a far wider model does not fit at all.
TEST(EmulatedDenoisingScore, PlanFitsTheIssuesModel) {
    MlpEnergy model({784, 256, 256, 1}, Activation::silu());
    const kernels::MlpLayers l = layers_of(model, Precision::Fp32);
    EXPECT_LE(sf::plan(l, 32, Precision::Fp32).bytes, emulation::h100.shared_bytes);
    EXPECT_GT(sf::plan(l, 64, Precision::Fp32).bytes, emulation::h100.shared_bytes);
    EXPECT_EQ(sf::rows_per_block(l, 128, emulation::h100), 16);
    EXPECT_EQ(sf::rows_per_block(l, 132 * 32, emulation::h100), 32);
    MlpEnergy wide({784, 2048, 2048, 1}, Activation::silu());
    EXPECT_EQ(sf::rows_per_block(layers_of(wide, Precision::Fp32), 128, emulation::h100), 0);
}

// kernels/score_sliced.cuh's Device policy on the host: products in double rounded to
// float (cuBLAS's FP32), grid-stride launches emulated on a small GPU with 32-thread
// blocks (the bodies are grid-stride loops, right for any shape; narrow blocks take
// several passes and keep the emulation, a host thread per device thread, quick), the
// fused pass block by block at the tile's precision.
struct EmulatedDevice {
    Precision precision = Precision::Fp32;
    const kernels::DeviceLimits& limits() const { return emulation::small_gpu; }
    template <class Op>
    void launch(kernels::LaunchShape shape, const Op& op) {
        shape.threads = 32;
        emulation::run_grid(shape, [&](unsigned char*) { op(); });
    }
    void fused_pass(const kernels::score_sliced::Tile& t, const kernels::score_sliced::PassIo& io, int tile_rows) {
        const kernels::LaunchShape shape = kernels::row_tiles(io.rows, tile_rows, kernels::block::threads, t.bytes, "test");
        kernels::block::with_precision(precision, [&](auto p) {
            kernels::score_sliced::with_tile_rows(tile_rows, [&](auto rows) {
                emulation::run_grid(shape, [&](unsigned char* smem) {
                    kernels::score_sliced::pass_tile<decltype(rows)::value, decltype(p)::value>(
                        t, io, reinterpret_cast<float*>(smem));
                });
            });
        });
    }
    void gemm(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int lda, const float* b, int ldb,
              float beta, float* c, int ldc) {
        for (int i = 0; i < m; ++i) {
            for (int j = 0; j < n; ++j) {
                double sum = 0;
                for (int q = 0; q < k; ++q) {
                    sum += double(ta ? a[q * lda + i] : a[i * lda + q]) * (tb ? b[j * ldb + q] : b[q * ldb + j]);
                }
                float& out = c[i * ldc + j];
                out = static_cast<float>(alpha * sum + (beta == 0.0f ? 0.0 : double(beta) * out));
            }
        }
    }
    void param_grad(const float* delta, const float* a, std::int64_t rows, std::int64_t in, std::int64_t out,
                    bool accumulate, float* dw, float* db, float*) {
        gemm(true, false, int(out), int(in), int(rows), 1.0f, delta, int(out), a, int(in), accumulate ? 1.0f : 0.0f, dw,
             int(in));
        column_sums(delta, rows, out, 1.0f, accumulate, db, nullptr);
    }
    void column_sums(const float* x, std::int64_t rows, std::int64_t cols, float scale, bool accumulate, float* out,
                     float*) {
        for (std::int64_t j = 0; j < cols; ++j) {
            double sum = 0;
            for (std::int64_t r = 0; r < rows; ++r) sum += x[r * cols + j];
            out[j] = static_cast<float>(scale * sum + (accumulate ? out[j] : 0.0));
        }
    }
};

// Runs the sequence with tile_rows rows per fused block (0: the unfused pass) and compares
// the loss and gradient with the twin's.
void expect_sliced_is_the_twin(std::mt19937_64& rng, const Activation& act, bool reduced, Precision precision,
                               int tile_rows, double limit) {
    const std::int64_t n = 21, d = 7;
    const std::string what = std::string(to_string(act.kind)) + (reduced ? " variance-reduced " : " ") +
                             to_string(precision) + (tile_rows ? " fused " + std::to_string(tile_rows) : " unfused");
    // Two hidden layers of different widths and a 3-class head, so the temporaries, the
    // softmax's own second order and a column tile's ragged end are all in the passes.
    const MlpEnergy model = test::random_mlp(rng, {d, 19, 11, 3}, act, 1.5f);
    const Tensor x = test::uniform_tensor(rng, {n, d}, -1, 1), v = test::uniform_tensor(rng, {n, d}, -1.5f, 1.5f);
    MlpEnergy grad(model.widths(), act);
    kernels::SlicedScore::Arguments a;
    a.mlp = layers_of(model, precision);
    a.x = x.data<float>();
    a.v = v.data<float>();
    a.rows = n;
    a.variance_reduced = reduced;
    a.scale = 1.0f / static_cast<float>(n);
    float loss = std::nanf("");
    a.loss = &loss;
    for (int l = 0; l < grad.num_layers(); ++l) {
        std::fill_n(grad.weight(l).data<float>(), grad.weight(l).numel(), std::nanf(""));
        std::fill_n(grad.bias(l).data<float>(), grad.bias(l).numel(), std::nanf(""));
        a.dweights.push_back(grad.weight(l).data<float>());
        a.dbiases.push_back(grad.bias(l).data<float>());
    }
    const kernels::score_sliced::Layout layout = kernels::score_sliced::layout(a.mlp, n, tile_rows > 0, 0);
    std::vector<float> workspace(layout.total, std::nanf(""));
    EmulatedDevice device{precision};
    kernels::score_sliced::run_sliced(a, tile_rows, workspace.data(), layout, device);
    const cpu::ScoreGradient want =
        cpu::sliced_gradient(cpu::params_of(model), x.data<float>(), v.data<float>(), n, reduced);
    EXPECT_NEAR(loss, want.loss, limit / 10 * (1 + std::abs(want.loss))) << what;
    for (int l = 0; l < model.num_layers(); ++l) {
        expect_close(grad.weight(l).to_vector<float>(), want.weight[l], limit, what + ": dW" + std::to_string(l));
        expect_close(grad.bias(l).to_vector<float>(), want.bias[l], limit, what + ": db" + std::to_string(l));
    }
}

// Every activation and both forms through the unfused pass; every activation through the
// fused one (the forms and the tile heights 16 and 32 alternating, 21 rows: a partial
// last tile; the emulated block is slow), in FP32; the fused pass in TF32 on two smooth
// activations (its products round the operands to 10 bits).
TEST(EmulatedSlicedScore, TheSequenceIsTheCpuTwin) {
    auto rng = test::fresh_rng();
    const std::vector<Activation> activations = {Activation::relu(), Activation::leaky_relu(0.1f), Activation::elu(),
                                                 Activation::silu(), Activation::tanh(), Activation::softplus()};
    for (std::size_t which = 0; which < activations.size(); ++which) {
        for (const bool reduced : {false, true}) {
            expect_sliced_is_the_twin(rng, activations[which], reduced, Precision::Fp32, 0, 1e-4);
        }
        expect_sliced_is_the_twin(rng, activations[which], which % 2 == 1, Precision::Fp32, which % 4 < 2 ? 16 : 32, 1e-4);
    }
    for (const Activation act : {Activation::silu(), Activation::tanh()}) {
        expect_sliced_is_the_twin(rng, act, act.kind == ActivationKind::Tanh, Precision::Tf32, 16, 2e-2);
    }
}

// The fused pass's plan: every layer's three jet blocks and two temporaries of the
// widest hidden layer fit a 784-256-256-1 model at 16 rows on an H100, not at 32; a
// far wider model, or more than 8 layers, takes the unfused pass.
TEST(EmulatedSlicedScore, FusedPlanFitsTheIssuesModel) {
    namespace ss = kernels::score_sliced;
    const MlpEnergy model({784, 256, 256, 1}, Activation::silu());
    const kernels::MlpLayers l = layers_of(model, Precision::Fp32);
    EXPECT_LE(ss::plan(l, 16, Precision::Fp32).bytes, emulation::h100.shared_bytes);
    EXPECT_GT(ss::plan(l, 32, Precision::Fp32).bytes, emulation::h100.shared_bytes);
    EXPECT_EQ(ss::rows_per_block(l, 128, emulation::h100), 16);
    const MlpEnergy small({8, 32, 1}, Activation::silu());
    EXPECT_EQ(ss::rows_per_block(layers_of(small, Precision::Fp32), 1 << 20, emulation::h100), 32) << "capped at 32";
    const MlpEnergy wide({784, 2048, 2048, 1}, Activation::silu());
    EXPECT_EQ(ss::rows_per_block(layers_of(wide, Precision::Fp32), 128, emulation::h100), 0);
    const MlpEnergy deep(std::vector<std::int64_t>(11, 8), Activation::silu());
    EXPECT_EQ(ss::rows_per_block(layers_of(deep, Precision::Fp32), 128, emulation::h100), 0);
    kernels::SlicedScore::Arguments a;
    a.mlp = l;
    a.rows = 128;
    EXPECT_EQ(ss::fused_rows(a, emulation::h100), 16);
    a.fused = false;
    EXPECT_EQ(ss::fused_rows(a, emulation::h100), 0) << "the context asked for the unfused path";
}

}  // namespace
}  // namespace ebmkit
