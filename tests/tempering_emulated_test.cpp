// The parallel-tempering launch sequence (kernels/tempering.cuh) on host threads
// (tests/emulation/): the products with a per-row beta and the swap kernel over the very
// shapes kernels/tempering.cu launches, against the CPU twin: the same states, hidden
// samples and swap counts after a sweep of each parity.
#include "emulation/block_emulation.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <tuple>
#include <vector>

#include "host/cpu/tempering.hpp"
#include "kernels/rbm.cuh"
#include "kernels/tempering.cuh"
#include "support.hpp"

namespace ebmkit {
namespace {

namespace body = kernels::tempering_body;
namespace rbm_body = kernels::rbm_body;

struct EmulatedOps {
    void product(const rbm_body::GemmParams& p, bool transposed) const {
        kernels::LaunchShape shape = kernels::rbm_product_shape(p.rows, p.cols);
        shape.shared_bytes = kernels::block::Staging<rbm_body::tile_rows, Precision::Fp32>::bytes;
        emulation::run_grid(shape, [&](unsigned char* staging) {
            if (transposed) rbm_body::rbm_gemm_tile<Precision::Fp32, true, rbm_body::Epilogue::Sample>(p, staging);
            else rbm_body::rbm_gemm_tile<Precision::Fp32, false, rbm_body::Epilogue::Sample>(p, staging);
        });
    }
    void swaps(const body::SwapParams& p, int pairs) const {
        emulation::run_grid(kernels::tempering_swap_shape(p.chains, pairs), [&](unsigned char*) { body::swap_pair(p); });
    }
};

// 5 replicas (two pairs at even sweeps, two at odd), 65 rows: two product row tiles,
// the second partial; weights large enough that swaps are both accepted and refused.
TEST(EmulatedTempering, SweepsMatchTheCpuTwin) {
    auto rng = test::fresh_rng();
    const std::int64_t d = 21, m = 10, chains = 13;
    const int replicas = 5;
    const Rbm rbm = test::random_rbm(rng, d, m, 0.5f);
    const std::vector<float> betas = geometric_betas(replicas, 0.1f);
    const std::uint64_t seed = rng();
    Tensor v = test::random_bits(rng, replicas * chains, d), h = Tensor::zeros({replicas * chains, m});
    Tensor rv = v.clone(), rh = h.clone();
    std::vector<unsigned long long> accepted(replicas - 1, 0);
    std::vector<std::uint64_t> ref_accepted(replicas - 1, 0);
    const kernels::RbmParams dev{rbm.w().data<float>(), rbm.b().data<float>(), rbm.c().data<float>(), d, m,
                                 Precision::Fp32};
    EmulatedOps ops;
    body::sweeps_sequence(dev, betas.data(), replicas, chains, v.data<float>(), h.data<float>(), seed, 7, 2,
                          accepted.data(), ops);
    for (std::uint32_t s = 7; s < 9; ++s) {
        cpu::tempering_sweep(cpu::params_of(rbm), betas.data(), replicas, chains, rv.data<float>(), rh.data<float>(),
                             seed, s, ref_accepted.data());
    }
    EXPECT_EQ(v.to_vector<float>(), rv.to_vector<float>());
    EXPECT_EQ(h.to_vector<float>(), rh.to_vector<float>());
    std::uint64_t swaps = 0;
    for (int r = 0; r + 1 < replicas; ++r) {
        EXPECT_EQ(accepted[r], ref_accepted[r]) << "pair " << r;
        swaps += ref_accepted[r];
    }
    EXPECT_GT(swaps, 0u);
    EXPECT_LT(swaps, 2u * 2 * chains);  // 2 pairs a sweep, 2 sweeps: not every swap accepted
}

// The on-chip chain (one launch for every sweep) on host threads over the launch shape
// kernels/tempering.cu computes, against the CPU twin: the same states, hidden samples
// and swap counts bit for bit. R = 5: 3 chains a 16-row tile, 4 chains in 2 blocks (the
// second holding one, 11 of its 16 rows idle), both swap parities; R = 16 fills a tile
// with one chain, one sweep.
TEST(EmulatedTempering, OnChipChainMatchesTheCpuTwin) {
    auto rng = test::fresh_rng();
    const std::int64_t d = 21, m = 10;
    for (auto [replicas, rows, chains, sweeps] : {std::tuple<int, int, std::int64_t, int>{5, 16, 4, 2}, {16, 16, 1, 1}}) {
        const Rbm rbm = test::random_rbm(rng, d, m, 0.5f);
        const std::vector<float> betas = geometric_betas(replicas, 0.1f);
        const std::uint64_t seed = rng();
        Tensor v = test::random_bits(rng, replicas * chains, d), h = test::poisoned({replicas * chains, m});
        Tensor rv = v.clone(), rh = Tensor::zeros({replicas * chains, m});
        std::vector<unsigned long long> accepted(replicas - 1, 0);
        std::vector<std::uint64_t> ref_accepted(replicas - 1, 0);
        const kernels::RbmParams dev{rbm.w().data<float>(), rbm.b().data<float>(), rbm.c().data<float>(), d, m,
                                     Precision::Fp32};
        ASSERT_EQ(body::tempering_chain_rows(dev, replicas, kernels::h100_limits), rows);
        const int ld_v = kernels::block::round_up(int(d), 4), ld_h = kernels::block::round_up(int(m), 4);
        const kernels::LaunchShape shape =
            kernels::tempering_chain_shape(chains, rows, replicas, body::tempering_chain_bytes(dev, rows));
        emulation::run_grid(shape, [&](unsigned char* shared) {
            body::tempering_chain_tile<body::tempering_chain_tile_rows, Precision::Fp32>(
                dev, betas.data(), replicas, chains, v.data<float>(), h.data<float>(), seed, 6, sweeps, accepted.data(),
                ld_v, ld_h, shared);
        });
        for (std::uint32_t s = 6; s < 6 + static_cast<std::uint32_t>(sweeps); ++s) {
            cpu::tempering_sweep(cpu::params_of(rbm), betas.data(), replicas, chains, rv.data<float>(), rh.data<float>(),
                                 seed, s, ref_accepted.data());
        }
        EXPECT_EQ(v.to_vector<float>(), rv.to_vector<float>()) << replicas << " replicas";
        EXPECT_EQ(h.to_vector<float>(), rh.to_vector<float>()) << replicas << " replicas";
        std::uint64_t swaps = 0;
        for (int r = 0; r + 1 < replicas; ++r) {
            EXPECT_EQ(accepted[r], ref_accepted[r]) << replicas << " replicas, pair " << r;
            swaps += ref_accepted[r];
        }
        EXPECT_GT(swaps, 0u) << replicas << " replicas";
    }
    // Beyond 16 replicas the tile holds no chain: the launch sequence runs instead.
    const Rbm rbm = test::random_rbm(rng, d, m, 0.5f);
    const kernels::RbmParams dev{rbm.w().data<float>(), rbm.b().data<float>(), rbm.c().data<float>(), d, m,
                                 Precision::Fp32};
    EXPECT_EQ(body::tempering_chain_rows(dev, 17, kernels::h100_limits), 0);
}

}  // namespace
}  // namespace ebmkit
