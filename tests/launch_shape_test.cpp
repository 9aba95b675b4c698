// The launch shapes the launchers compute (kernels/launch_shape.hpp and each family's
// launcher header), for an H100 (132 SMs, 227 KB of opt-in shared memory) and for a
// small GPU (one SM, 48 KB): grids stay inside the hardware's limits, grid-stride
// kernels are capped per SM, every block's shared-memory request fits the device that
// runs it, and models that fit nowhere are turned away (0 rows per block) so the
// caller falls back. No GPU is needed: these are host functions.
#include "emulation/block_emulation.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "kernels/columns.hpp"
#include "kernels/langevin.hpp"
#include "kernels/logsumexp.hpp"
#include "kernels/mlp_block.cuh"
#include "kernels/mlp_grid.cuh"
#include "kernels/optim.hpp"
#include "kernels/rbm.cuh"
#include "kernels/rbm_eval.hpp"

namespace ebmkit {
namespace {

using kernels::DeviceLimits;
using kernels::LaunchShape;

const DeviceLimits& h100 = emulation::h100;
const DeviceLimits& small_gpu = emulation::small_gpu;

TEST(LaunchShape, GridStrideKernelsAreCappedPerMultiprocessor) {
    EXPECT_EQ(kernels::grid_stride(1, 256, 256, h100).blocks, 1u);
    EXPECT_EQ(kernels::grid_stride(0, 256, 256, h100).blocks, 1u);
    EXPECT_EQ(kernels::grid_stride(std::int64_t{1} << 40, 256, 256, h100).blocks, 132u * 16);
    EXPECT_EQ(kernels::grid_stride(std::int64_t{1} << 40, 256, 256, small_gpu).blocks, 16u);
    EXPECT_EQ(kernels::optim_shape(300000, h100).blocks, (300000u + 255) / 256);
    EXPECT_EQ(kernels::optim_shape(300000, small_gpu).blocks, 16u);
    // LogSumExp 65536 x 1000: 32 lanes, 4 rows per block; a block per row beyond 1024 columns.
    const auto wide = kernels::logsumexp_forward_plan(65536, 1000, true, h100);
    EXPECT_EQ(wide.lanes, 32);
    EXPECT_EQ(wide.shape.blocks, 132u * 16);
    EXPECT_EQ(kernels::logsumexp_forward_plan(4096, 10, false, h100).lanes, 4);
    EXPECT_EQ(kernels::logsumexp_forward_plan(7, 5000, true, small_gpu).lanes, 0);
    EXPECT_EQ(kernels::logsumexp_forward_plan(7, 5000, true, small_gpu).shape.blocks, 7u);
    EXPECT_EQ(kernels::logsumexp_backward_shape(65536, 1000, true, h100).blocks, 132u * 16);
}

TEST(LaunchShape, OneThreadPerItemGridsStayInsideTheLaunchLimit) {
    EXPECT_EQ(kernels::langevin_propose_shape(4096, 784).blocks, (4096u * 196 + 255) / 256);
    EXPECT_EQ(kernels::langevin_row_shape(4096).blocks, 4096u * 32 / 256);
    EXPECT_EQ(kernels::rbm_row_warp_shape(1).blocks, 1u);
    EXPECT_EQ(kernels::rbm_elementwise_shape(0).blocks, 1u);
    EXPECT_THROW(kernels::one_per_thread(std::int64_t{1} << 42, 256, "test"), Error);
    EXPECT_THROW(kernels::rbm_product_shape(std::int64_t{65535} * 64 + 1, 500), Error);
    const LaunchShape product = kernels::rbm_product_shape(1000, 500);
    EXPECT_EQ(product.blocks, 8u);
    EXPECT_EQ(product.blocks_y, 16u);
    EXPECT_EQ(kernels::column_sum_partial_shape(65536, 256).blocks_y, 256u);
    EXPECT_LE(kernels::column_sum_partial_shape(std::int64_t{1} << 33, 1).blocks_y, 65535u);
}

kernels::MlpLayers layers(std::vector<std::int64_t> widths, Precision precision) {
    kernels::MlpLayers l{widths, ActivationKind::Elu, 0.01f, {}, {}, precision};
    l.weights.assign(widths.size() - 1, nullptr);
    l.biases.assign(widths.size() - 1, nullptr);
    return l;
}

// The JEM model fits every precision on an H100 with a block per SM or more, and the
// chosen tile's request is inside the opt-in limit; the widest hidden layers that fit
// still do; on the small GPU the same model fits only as 16-row tiles or not at all.
TEST(LaunchShape, FusedMlpAndChainTilesFitTheDeviceThatRunsThem) {
    for (Precision p : {Precision::Fp32, Precision::Tf32, Precision::Bf16}) {
        for (bool chain : {false, true}) {
            const kernels::MlpLayers jem = layers({784, 256, 256, 10}, p);
            for (std::int64_t rows : {std::int64_t{64}, std::int64_t{4096}, std::int64_t{65536}}) {
                const int r = kernels::mlp_block::rows_per_block(jem, rows, p, chain, h100);
                ASSERT_GT(r, 0) << to_string(p) << " rows " << rows;
                EXPECT_LE(kernels::mlp_block::plan(jem, r, p, chain).bytes, h100.shared_bytes);
                const bool tall_fits = kernels::mlp_block::plan(jem, 64, p, chain).bytes <= h100.shared_bytes;
                if (rows >= 132 * 64 && tall_fits) EXPECT_EQ(r, 64) << "enough rows for 64-row tiles on every SM";
                if (rows == 64) EXPECT_EQ(r, 16) << "16-row tiles give 4 blocks, as many as there can be";
            }
            const int small = kernels::mlp_block::rows_per_block(jem, 4096, p, chain, small_gpu);
            if (small > 0) EXPECT_LE(kernels::mlp_block::plan(jem, small, p, chain).bytes, small_gpu.shared_bytes);
            // Too wide for any block: turned away, never a launch that fails.
            EXPECT_EQ(kernels::mlp_block::rows_per_block(layers({784, 4096, 10}, p), 4096, p, chain, h100), 0);
            EXPECT_EQ(kernels::mlp_block::rows_per_block(layers(std::vector<std::int64_t>(10, 16), p), 4096, p, chain, h100), 0);
        }
    }
}

// The Gibbs chain's plans (issue 27 item 6): at a small batch on an H100 the cluster
// plan puts a block on every (16-chain tile, 64-unit column tile) pair, 8 times the row
// tiles' blocks at batch 64 for a 784 x 500 RBM; at a batch that fills the device, on a
// GPU without clusters, or when asked, the row tiles stay.
TEST(LaunchShape, GibbsChainClustersSpreadASmallBatch) {
    using kernels::rbm_body::gibbs_chain_plan;
    const kernels::RbmParams rbm{nullptr, nullptr, nullptr, 784, 500, Precision::Fp32};
    const auto tiles = gibbs_chain_plan(rbm, 64, h100, TilePlan::RowTiles);
    EXPECT_EQ(tiles.cluster, 1);
    EXPECT_EQ(tiles.shape.blocks, 4u);
    const auto spread = gibbs_chain_plan(rbm, 64, h100, TilePlan::Auto);
    EXPECT_EQ(spread.cluster, 8);
    EXPECT_EQ(spread.shape.cluster, 8);
    EXPECT_EQ(spread.shape.blocks, 32u);
    EXPECT_LE(spread.shape.shared_bytes, h100.shared_bytes);
    // Enough tiles for the SMs: the smallest cluster that reaches them.
    const auto wide = gibbs_chain_plan(rbm, 48 * 16, h100, TilePlan::Auto);
    EXPECT_EQ(wide.cluster, 4);
    EXPECT_GE(wide.shape.blocks, static_cast<unsigned>(h100.multiprocessors));
    EXPECT_EQ(gibbs_chain_plan(rbm, 4096, h100, TilePlan::Auto).cluster, 1);  // row tiles fill it already
    const DeviceLimits no_clusters{h100.shared_bytes, h100.multiprocessors, 1};
    EXPECT_EQ(gibbs_chain_plan(rbm, 64, no_clusters, TilePlan::Clusters).cluster, 1);
    const kernels::RbmParams narrow{nullptr, nullptr, nullptr, 100, 60, Precision::Fp32};
    EXPECT_EQ(gibbs_chain_plan(narrow, 64, h100, TilePlan::Auto).cluster, 1) << "one column tile: nothing to split";
    for (std::int64_t rows : {1, 17, 64, 1000}) {
        const auto p = gibbs_chain_plan(rbm, rows, h100, TilePlan::Clusters);
        EXPECT_EQ(p.shape.blocks % static_cast<unsigned>(p.cluster), 0u) << rows;
        EXPECT_EQ(p.shape.blocks, static_cast<unsigned>((rows + 15) / 16 * p.cluster)) << rows;
    }
}

// The fused MLP's and the fused chain's plans (issue 27 item 6): JEM's 784-256-256-10
// model at its batch of 64 on an H100 goes from 4 row-tile blocks to clusters of 8
// (the chain's input gradient has 13 column tiles, the energy's widest product 4, so
// its clusters stop at 4); a full batch keeps row tiles; a GPU without clusters keeps
// row tiles whatever is asked; every cluster request fits the device.
TEST(LaunchShape, FusedMlpAndChainClustersSpreadASmallBatch) {
    using kernels::mlp_block::tile_launch;
    for (Precision p : {Precision::Fp32, Precision::Tf32, Precision::Bf16}) {
        const kernels::MlpLayers jem = layers({784, 256, 256, 10}, p);
        const auto tiles = tile_launch(jem, 64, true, h100, TilePlan::RowTiles, "test");
        EXPECT_EQ(tiles.cluster, 1);
        EXPECT_EQ(tiles.shape.blocks, 4u);
        const auto chain = tile_launch(jem, 64, true, h100, TilePlan::Auto, "test");
        EXPECT_EQ(chain.cluster, 8) << to_string(p);
        EXPECT_EQ(chain.shape.blocks, 32u);
        EXPECT_EQ(chain.rows_per_block, 16);
        EXPECT_EQ(chain.shape.shared_bytes, kernels::mlp_block::plan(jem, 16, p, true).bytes);
        EXPECT_LE(chain.shape.shared_bytes, h100.shared_bytes);
        const auto energy = tile_launch(jem, 64, false, h100, TilePlan::Auto, "test");
        EXPECT_EQ(energy.cluster, 4) << "256 columns: four column tiles to share";
        EXPECT_EQ(energy.shape.blocks, 16u);
        EXPECT_EQ(tile_launch(jem, 65536, true, h100, TilePlan::Auto, "test").cluster, 1);
        const DeviceLimits no_clusters{h100.shared_bytes, h100.multiprocessors, 1};
        EXPECT_EQ(tile_launch(jem, 64, true, no_clusters, TilePlan::Clusters, "test").cluster, 1);
        EXPECT_EQ(tile_launch(layers({40, 60, 10}, p), 64, true, h100, TilePlan::Auto, "test").cluster, 1)
            << "one column tile: nothing to share";
        EXPECT_EQ(tile_launch(layers({784, 4096, 10}, p), 64, true, h100, TilePlan::Clusters, "test").rows_per_block, 0)
            << "a model that does not fit stays turned away";
    }
}

// The fused chain's grid plan (issue 27 item 6): at JEM's batch of 64 on an H100, Auto
// takes it over clusters of 8 (32 blocks), a block on every one of the 132
// multiprocessors, each product's inner dimension cut so that its items reach them
// (the 784-wide input layer in 9 slices over 4 row tiles x 4 column tiles; the 10
// logits in 8 over 4 x 1); row tiles and clusters stay selectable; a full batch keeps
// row tiles; a device without cooperative launches never takes it; asked for by name it
// holds even a model that does not fit on chip.
TEST(LaunchShape, FusedChainGridPlanFillsTheDeviceAtASmallBatch) {
    using kernels::mlp_grid::chain_launch;
    using kernels::mlp_grid::slicing;
    for (Precision p : {Precision::Fp32, Precision::Tf32, Precision::Bf16}) {
        const kernels::MlpLayers jem = layers({784, 256, 256, 10}, p);
        const auto grid = chain_launch(jem, 64, h100, TilePlan::Auto);
        EXPECT_TRUE(grid.grid()) << to_string(p);
        EXPECT_TRUE(grid.shape.cooperative);
        EXPECT_EQ(grid.shape.cluster, 1);
        EXPECT_GE(grid.shape.blocks, static_cast<unsigned>(h100.multiprocessors));
        EXPECT_EQ(grid.shape.shared_bytes, kernels::block::staging_bytes(p, 16));
        EXPECT_EQ(chain_launch(jem, 64, h100, TilePlan::Grid).shape.blocks, grid.shape.blocks);
        EXPECT_EQ(chain_launch(jem, 64, h100, TilePlan::Clusters).shape.blocks, 32u);
        EXPECT_EQ(chain_launch(jem, 64, h100, TilePlan::RowTiles).shape.blocks, 4u);
        EXPECT_FALSE(chain_launch(jem, 64, h100, TilePlan::RowTiles).grid());
        EXPECT_FALSE(chain_launch(jem, 65536, h100, TilePlan::Auto).grid());
        const DeviceLimits no_cooperative{h100.shared_bytes, h100.multiprocessors, 8, false};
        EXPECT_EQ(chain_launch(jem, 64, no_cooperative, TilePlan::Grid).shape.blocks, 32u) << "clusters instead";
        const auto big = chain_launch(layers({784, 4096, 10}, p), 64, h100, TilePlan::Grid);
        EXPECT_TRUE(big.grid());
        EXPECT_EQ(chain_launch(layers({784, 4096, 10}, p), 64, h100, TilePlan::Auto).rows_per_block, 0)
            << "Auto does not take a model that does not fit on chip";
    }
    EXPECT_EQ(slicing(4, 256, 784, 132).slices, 9);
    EXPECT_EQ(slicing(4, 10, 256, 132).slices, 8);
    EXPECT_EQ(slicing(4, 784, 256, 132).slices, 3);  // the input gradient: 4 x 13 items
    for (int inner : {1, 31, 32, 33, 784, 4096}) {
        for (int blocks : {1, 7, 132}) {
            const auto s = slicing(4, 256, inner, blocks);
            EXPECT_EQ(s.width % 32, 0);
            EXPECT_LT((s.slices - 1) * s.width, inner) << "no empty slice";
            EXPECT_GE(s.slices * s.width, inner);
        }
    }
}

TEST(LaunchShape, RbmChainAndPseudoLikelihoodRequestsFitTheDevice) {
    for (Precision p : {Precision::Fp32, Precision::Tf32, Precision::Bf16}) {
        const kernels::RbmParams rbm{nullptr, nullptr, nullptr, 784, 500, p};
        const int r = kernels::rbm_body::gibbs_chain_rows(rbm, 1024, h100);
        ASSERT_GT(r, 0) << to_string(p);
        EXPECT_LE(kernels::rbm_body::gibbs_chain_bytes(rbm, r), h100.shared_bytes);
        EXPECT_EQ(kernels::rbm_body::gibbs_chain_rows(rbm, 1024, small_gpu), 0) << "784 + 500 units x 16 chains need > 48 KB";
        const kernels::RbmParams huge{nullptr, nullptr, nullptr, 784, 20000, p};
        EXPECT_EQ(kernels::rbm_body::gibbs_chain_rows(huge, 1024, h100), 0);
    }
    EXPECT_TRUE(kernels::rbm_pseudo_log_likelihood_fits(14000, h100));
    EXPECT_FALSE(kernels::rbm_pseudo_log_likelihood_fits(14600, h100));
    EXPECT_TRUE(kernels::rbm_pseudo_log_likelihood_fits(3000, small_gpu));
    EXPECT_FALSE(kernels::rbm_pseudo_log_likelihood_fits(3100, small_gpu));
    const LaunchShape pl = kernels::rbm_pseudo_log_likelihood_shape(100, 500);
    EXPECT_EQ(pl.blocks, 100u);
    EXPECT_EQ(pl.shared_bytes, (2 * 500 + 8) * 8);
}

}  // namespace
}  // namespace ebmkit
