// The RBM evaluation kernel bodies (kernels/rbm_eval.cuh) on host threads
// (tests/emulation/): the very launch sequences of kernels/rbm_eval.cu (free energy, AIS,
// RAISE, the exact log-Z terms) with every step run over its launch shape, and the
// pseudo-likelihood kernel, against the CPU reference and enumeration in double.
#include "emulation/block_emulation.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "host/cpu/rbm.hpp"
#include "host/cpu/rbm_eval.hpp"
#include "kernels/rbm.cuh"
#include "kernels/rbm_eval.cuh"
#include "kernels/rbm_eval.hpp"
#include "support.hpp"

namespace ebmkit {
namespace {

namespace body = kernels::rbm_eval_body;
namespace rbm_body = kernels::rbm_body;
using kernels::LaunchShape;

kernels::RbmParams device_view(const Rbm& rbm, Precision precision = Precision::Fp32) {
    return {rbm.w().data<float>(), rbm.b().data<float>(), rbm.c().data<float>(), rbm.visible(), rbm.hidden(), precision};
}

// Each step of a sequence on host threads, over the shape kernels/rbm_eval.cu launches.
struct EmulatedOps {
    Precision precision;
    emulation::BlockOrder order = emulation::BlockOrder::Forward;  // the products' block order

    void zero(double* x, std::int64_t n) const { std::fill(x, x + n, 0.0); }
    void bias_dot(const float* v, const float* b, std::int64_t rows, int d, float* f) const {
        emulation::run_grid(kernels::rbm_row_warp_shape(rows), [&](unsigned char*) { body::negative_visible_bias_dot(v, b, rows, d, f); });
    }
    void base_rate(const float* base, std::int64_t runs, int d, std::uint64_t seed, float* v) const {
        emulation::run_grid(kernels::rbm_base_rate_shape(runs, d), [&](unsigned char*) { body::base_rate_samples(base, runs, d, seed, v); });
    }
    void visible_term(const float* v, const float* b, const float* base, std::int64_t runs, int d, double delta,
                      double* log_w) const {
        emulation::run_grid(kernels::rbm_row_warp_shape(runs),
                            [&](unsigned char*) { body::ais_visible_term(v, b, base, runs, d, delta, log_w); });
    }
    void bits(std::uint64_t first, std::int64_t count, int n, float* out) const {
        emulation::run_grid(kernels::rbm_elementwise_shape(count * n), [&](unsigned char*) { body::configuration_bits(first, count, n, out); });
    }
    void negate(float* x, std::int64_t n) const {
        emulation::run_grid(kernels::rbm_elementwise_shape(n), [&](unsigned char*) { body::negate(x, n); });
    }
    void repeat(const float* rows_in, std::int64_t rows, int d, std::int64_t copies, float* out) const {
        emulation::run_grid(kernels::rbm_elementwise_shape(rows * copies * d),
                            [&](unsigned char*) { body::repeat_rows(rows_in, rows, d, copies, out); });
    }
    // kernels/rbm.cu's product over its product_shape, its static staging as dynamic memory here.
    void product(const rbm_body::GemmParams& p, bool transposed, rbm_body::Epilogue epilogue) const {
        LaunchShape shape = rbm_body::product_shape(epilogue, p.rows, p.cols);
        kernels::block::with_precision(precision, [&](auto at) {
            constexpr Precision P = decltype(at)::value;
            shape.shared_bytes = kernels::block::Staging<rbm_body::tile_rows, P>::bytes;
            emulation::run_grid(shape, [&](unsigned char* staging) {
                using E = rbm_body::Epilogue;
                if (transposed && epilogue == E::Sample) rbm_body::rbm_gemm_tile<P, true, E::Sample>(p, staging);
                else if (transposed && epilogue == E::NegSoftplusSum) rbm_body::rbm_gemm_tile<P, true, E::NegSoftplusSum>(p, staging);
                else if (!transposed && epilogue == E::NegSoftplusSum) rbm_body::rbm_gemm_tile<P, false, E::NegSoftplusSum>(p, staging);
                else if (!transposed && epilogue == E::AisHidden) rbm_body::rbm_gemm_tile<P, false, E::AisHidden>(p, staging);
                else FAIL() << "no emulated product for this epilogue";
            }, order);
        });
    }
};

TEST(EmulatedRbmEval, FreeEnergyMatchesTheCpuReference) {
    auto rng = test::fresh_rng();
    const std::int64_t n = 70, d = 75, m = 66;  // two product tiles each way, partial ones included
    const Rbm rbm = test::random_rbm(rng, d, m, 0.5f);
    const Tensor v = test::random_bits(rng, n, d);
    Tensor f = test::poisoned({n}), ref({n});
    EmulatedOps ops{Precision::Fp32};
    body::free_energy_sequence(device_view(rbm), v.data<float>(), n, f.data<float>(), ops);
    cpu::free_energy(cpu::params_of(rbm), v.data<float>(), n, ref.data<float>());
    EXPECT_LT(test::relative_error(f.to_vector<float>(), ref.to_vector<float>()), 1e-5);
    // TF32 products: only the weights are rounded (docs/ARCHITECTURE.md §7's tolerance).
    EmulatedOps tf32{Precision::Tf32};
    body::free_energy_sequence(device_view(rbm, Precision::Tf32), v.data<float>(), n, (f = test::poisoned({n})).data<float>(), tf32);
    EXPECT_LT(test::relative_error(f.to_vector<float>(), ref.to_vector<float>()), 3e-3);
}

// A device runs blocks in no promised order, yet the free energy is the same bits
// whatever the order (first light found it was not: two calls on an H200 differed in the
// last bit, each row's softplus terms summed by float atomics across column tiles). Five
// column tiles of hidden units, two row tiles, in every precision.
TEST(EmulatedRbmEval, FreeEnergyIsTheSameBitsInAnyBlockOrder) {
    auto rng = test::fresh_rng();
    const std::int64_t n = 70, d = 75, m = 300;
    const Rbm rbm = test::random_rbm(rng, d, m, 0.5f);
    const Tensor v = test::random_bits(rng, n, d);
    for (Precision precision : {Precision::Fp32, Precision::Tf32, Precision::Bf16}) {
        Tensor forward = test::poisoned({n}), reversed = test::poisoned({n});
        EmulatedOps ops{precision};
        body::free_energy_sequence(device_view(rbm, precision), v.data<float>(), n, forward.data<float>(), ops);
        ops.order = emulation::BlockOrder::Reversed;
        body::free_energy_sequence(device_view(rbm, precision), v.data<float>(), n, reversed.data<float>(), ops);
        EXPECT_TRUE(test::same_bytes(forward.to_vector<float>(), reversed.to_vector<float>())) << to_string(precision);
    }
}

// Every configuration of the smaller layer (hidden when M <= D, else visible): its
// log-term against the closed form in double, and log Z from them against the CPU.
TEST(EmulatedRbmEval, LogPartitionTermsMatchEnumeration) {
    auto rng = test::fresh_rng();
    for (const auto& [d, m] : {std::pair<std::int64_t, std::int64_t>{9, 5}, {4, 7}}) {
        const Rbm rbm = test::random_rbm(rng, d, m, 0.7f);
        const bool over_hidden = m <= d;
        const std::int64_t n = over_hidden ? m : d, count = std::int64_t{1} << n;
        std::vector<float> bits(static_cast<std::size_t>(count * n), std::nanf("")), terms(static_cast<std::size_t>(count), std::nanf(""));
        EmulatedOps ops{Precision::Fp32};
        body::log_partition_terms_sequence(device_view(rbm), 0, count, bits.data(), terms.data(), ops);
        const float* w = rbm.w().data<float>();
        const float* b = rbm.b().data<float>();
        const float* c = rbm.c().data<float>();
        std::vector<double> want(static_cast<std::size_t>(count));
        double max_term = -INFINITY;
        for (std::int64_t s = 0; s < count; ++s) {
            double t = 0;
            for (std::int64_t e = 0; e < n; ++e) {
                if (!((s >> e) & 1)) continue;
                t += over_hidden ? c[e] : b[e];
            }
            for (std::int64_t o = 0; o < (over_hidden ? d : m); ++o) {
                double z = over_hidden ? b[o] : c[o];
                for (std::int64_t e = 0; e < n; ++e) {
                    if ((s >> e) & 1) z += over_hidden ? w[o * m + e] : w[e * m + o];
                }
                t += std::max(z, 0.0) + std::log1p(std::exp(-std::abs(z)));
            }
            want[s] = t;
            max_term = std::max(max_term, t);
            for (std::int64_t e = 0; e < n; ++e) ASSERT_EQ(bits[s * n + e], float((s >> e) & 1)) << "configuration " << s;
        }
        EXPECT_LT(test::relative_error(terms, want), 1e-6) << d << "x" << m;
        double sum = 0;
        for (float t : terms) sum += std::exp(t - max_term);
        EXPECT_NEAR(max_term + std::log(sum), cpu::log_partition_exact(cpu::params_of(rbm)), 1e-5) << d << "x" << m;
    }
}

// The same keys as the CPU reference, so the same samples up to a rare rounding flip of
// a uniform within float error of its probability: nearly every run's log weight agrees.
TEST(EmulatedRbmEval, AisLogWeightsFollowTheCpuRuns) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    const std::int64_t d = 30, m = 20, runs = 16;
    const Rbm rbm = test::random_rbm(rng, d, m, 0.3f);
    const Tensor base = base_rate_bias(test::random_bits(rng, 200, d, 0.3f));
    const std::vector<double> betas = linear_ais_schedule(40);
    std::vector<float> v(static_cast<std::size_t>(runs * d)), h(static_cast<std::size_t>(runs * m));
    std::vector<double> log_w(static_cast<std::size_t>(runs), std::nan(""));
    EmulatedOps ops{Precision::Fp32};
    body::ais_sequence(device_view(rbm), base.data<float>(), runs, betas.data(), static_cast<std::int64_t>(betas.size()),
                       seed, v.data(), h.data(), log_w.data(), ops);
    const std::vector<double> ref = cpu::ais_log_weights(cpu::params_of(rbm), base.data<float>(), runs, betas, seed);
    int close = 0;
    for (std::int64_t r = 0; r < runs; ++r) close += std::abs(log_w[r] - ref[r]) < 1e-3 * (1 + std::abs(ref[r]));
    EXPECT_GE(close, runs - 1);
}

// RAISE's reverse chains on the same keys as the CPU reference: rows repeated per run
// (partial product tiles: 3 rows x 5 runs x 75 units), nearly every log weight agrees.
TEST(EmulatedRbmEval, RaiseLogWeightsFollowTheCpuRuns) {
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    const std::int64_t d = 75, m = 20, rows = 3, runs = 5, chains = rows * runs;
    const Rbm rbm = test::random_rbm(rng, d, m, 0.3f);
    const Tensor base = base_rate_bias(test::random_bits(rng, 200, d, 0.3f));
    const Tensor data = test::random_bits(rng, rows, d, 0.3f);
    const std::vector<double> betas = linear_ais_schedule(40);
    std::vector<float> v(static_cast<std::size_t>(chains * d), std::nanf("")), h(static_cast<std::size_t>(chains * m));
    std::vector<double> log_w(static_cast<std::size_t>(chains), std::nan(""));
    EmulatedOps ops{Precision::Fp32};
    body::raise_sequence(device_view(rbm), base.data<float>(), data.data<float>(), rows, runs, betas.data(),
                         static_cast<std::int64_t>(betas.size()), seed, v.data(), h.data(), log_w.data(), ops);
    const std::vector<double> ref =
        cpu::raise_log_weights(cpu::params_of(rbm), base.data<float>(), data.data<float>(), rows, runs, betas, seed);
    int close = 0;
    for (std::int64_t c = 0; c < chains; ++c) close += std::abs(log_w[c] - ref[c]) < 1e-3 * (1 + std::abs(ref[c]));
    EXPECT_GE(close, chains - 1);
    // Not all equal: the runs of a row differ, the rows differ.
    EXPECT_NE(ref[0], ref[1]);
    EXPECT_NE(ref[0], ref[runs]);
}

// A block per row in double, its shared memory as the launcher sizes it.
TEST(EmulatedRbmEval, PseudoLikelihoodMatchesTheCpuReference) {
    auto rng = test::fresh_rng();
    for (const auto& [n, d, m] : {std::tuple<std::int64_t, std::int64_t, std::int64_t>{5, 12, 7}, {3, 40, 300}, {1, 1, 1}}) {
        const Rbm rbm = test::random_rbm(rng, d, m, 0.3f);
        const Tensor v = test::random_bits(rng, n, d);
        std::vector<float> out(static_cast<std::size_t>(n), std::nanf("")), ref(out.size());
        const kernels::RbmParams dev = device_view(rbm);
        const LaunchShape shape = kernels::rbm_pseudo_log_likelihood_shape(n, m);
        emulation::run_grid(shape, [&](unsigned char* shared) {
            body::pseudo_log_likelihood_rows(dev, v.data<float>(), out.data(), reinterpret_cast<double*>(shared));
        });
        cpu::pseudo_log_likelihood(cpu::params_of(rbm), v.data<float>(), n, ref.data());
        EXPECT_LT(test::relative_error(out, ref), 1e-6) << n << "x" << d << "x" << m;
    }
}

}  // namespace
}  // namespace ebmkit
