// Data-parallel training on the ranks of an MPI job, run as
//   mpirun -np 2 data_parallel_mpi_test   (the two-rank cases; one-rank cases skip)
//   mpirun -np 1 data_parallel_mpi_test   (the one-rank cases; two-rank cases skip)
// Every rank runs every case. The one-rank references are computed on each rank by a
// trainer without a communicator, so a case compares, on every rank, the model two ranks
// trained together with the model one rank trains alone from the same seed.
// EBMKIT_TEST_BACKEND=cuda runs the cases on the GPU, the communicator on NCCL (one GPU
// takes one rank: mpirun -np 1 there).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <tuple>
#include <vector>

#include "support.hpp"

namespace ebmkit {
namespace {

namespace fs = std::filesystem;

// The one context every case trains on (a CUDA communicator works on its context's
// stream, so the trainers share it), on the backend EBMKIT_TEST_BACKEND names.
Context& test_context() {
    static Context ctx([] {
        const char* name = std::getenv("EBMKIT_TEST_BACKEND");
        return name && std::string(name) == "cuda" ? Backend::Cuda : Backend::Cpu;
    }());
    return ctx;
}

const Communicator& world() {
    static const Communicator comm = Communicator::world(test_context());
    return comm;
}

// The shared context, keyed by seed.
Context& seeded(std::uint64_t seed) {
    test_context().set_seed(seed);
    return test_context();
}

// A seed drawn on rank 0 (test::fresh_rng, so EBMKIT_TEST_SEED replays it) and shared:
// its four 16-bit parts travel exactly as floats.
std::uint64_t shared_seed() {
    std::uint64_t seed = 0;
    if (world().rank() == 0) seed = test::fresh_rng()();
    Tensor parts = Tensor::zeros({4});
    for (int i = 0; i < 4; ++i) parts.data<float>()[i] = static_cast<float>((seed >> (16 * i)) & 0xffff);
    world().allreduce_sum({parts});
    seed = 0;
    for (int i = 0; i < 4; ++i) seed |= static_cast<std::uint64_t>(parts.data<float>()[i]) << (16 * i);
    return seed;
}

// A checkpoint path every rank agrees on (rank 0 writes it, every rank reads it).
std::string shared_path(std::uint64_t seed, const std::string& name) {
    return (fs::temp_directory_path() / ("ebmkit-dp-" + std::to_string(seed) + "-" + name)).string();
}

double max_abs_difference(const std::vector<ConstTensorView>& a, const std::vector<ConstTensorView>& b) {
    double worst = 0;
    for (std::size_t t = 0; t < a.size(); ++t) {
        const std::vector<float> x = a[t].to_vector<float>(), y = b[t].to_vector<float>();
        for (std::size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::abs(double(x[i]) - double(y[i])));
    }
    return worst;
}

bool same_parameters(const std::vector<ConstTensorView>& a, const std::vector<ConstTensorView>& b) {
    for (std::size_t t = 0; t < a.size(); ++t) {
        if (!test::same_bytes(a[t].to_vector<float>(), b[t].to_vector<float>())) return false;
    }
    return true;
}

double mismatch_fraction(const std::vector<float>& a, const std::vector<float>& b) {
    std::size_t differ = 0;
    for (std::size_t i = 0; i < a.size(); ++i) differ += a[i] != b[i];
    return a.empty() ? 0.0 : static_cast<double>(differ) / static_cast<double>(a.size());
}

// 495 rows of 12 bits: two prototypes with 10% noise. With batch 10 an epoch is 49
// full batches and one of 5 (3 rows on rank 0, 2 on rank 1): 50 updates.
Tensor rbm_data(std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::bernoulli_distribution noise(0.1);
    std::vector<float> rows;
    for (int r = 0; r < 495; ++r) {
        for (int i = 0; i < 12; ++i) rows.push_back(static_cast<float>(((r % 2) ? i < 6 : i >= 6) != noise(rng)));
    }
    return Tensor::from(rows, {495, 12});
}

RbmTrainOptions rbm_options(const std::string& recipe) {
    RbmTrainOptions o;
    o.batch = 10;
    o.lr = 0.05f;
    o.persistent = recipe != "cd";
    o.k = recipe == "cd" ? 2 : 1;
    o.centered = recipe == "centred";
    return o;
}

class DataParallelRbm : public ::testing::TestWithParam<std::string> {};

// 50 updates on two ranks at global batch 10 against one rank at batch 10: the same
// parameters within float rounding, each rank's chains the rows of the one-rank set
// (which differ between the ranks), and the stacked checkpoint holding the whole set.
TEST_P(DataParallelRbm, TwoRanksTrainTheOneRankModel) {
    if (world().size() != 2) GTEST_SKIP() << "needs mpirun -np 2";
    const std::uint64_t seed = shared_seed();
    const Tensor data = rbm_data(seed);
    const RbmTrainOptions o = rbm_options(GetParam());
    Rbm start(12, 6);
    start.init_normal(seed, 0.1f);

    Context& ctx = seeded(seed);
    Rbm alone = start.to(ctx.device());
    RbmTrainer one(ctx, alone, o);
    const RbmEpochStats one_stats = one.train_epoch(data);

    Rbm together = start.to(ctx.device());
    RbmTrainer two(ctx, together, o, world());
    const RbmEpochStats two_stats = two.train_epoch(data);
    EXPECT_EQ(one_stats.updates, 50);
    EXPECT_EQ(two_stats.updates, 50);
    const double gap = max_abs_difference(static_cast<const Rbm&>(together).parameters(),
                                          static_cast<const Rbm&>(alone).parameters());
    std::printf("[ rank %d   ] %s: largest parameter difference %.3g\n", world().rank(), GetParam().c_str(), gap);
    EXPECT_LT(gap, 1e-4);
    // Training moved the RBM a hundred times the tolerance at least (about 0.06 to 0.1
    // seen), so the agreement above is not that of two untouched models.
    EXPECT_GT(max_abs_difference(static_cast<const Rbm&>(together).parameters(),
                                 static_cast<const Rbm&>(start).parameters()), 1e-2)
        << "the RBM was trained";
    if (!o.persistent) return;

    // This rank's chains are rows 5 r .. 5 r + 4 of the one-rank set (a Bernoulli draw
    // could flip where the float rounding of the two runs differs, hence a fraction).
    const std::vector<float> all = one.chains().to_vector<float>(), mine = two.chains().to_vector<float>();
    ASSERT_EQ(mine.size(), all.size() / 2);
    const auto begin = all.begin() + static_cast<std::ptrdiff_t>(world().rank() * mine.size());
    EXPECT_LE(mismatch_fraction(mine, std::vector<float>(begin, begin + static_cast<std::ptrdiff_t>(mine.size()))), 0.05);
    const std::string path = shared_path(seed, "rbm-" + GetParam() + ".safetensors");
    two.save(path);
    const SafeTensors file = load_safetensors(path);
    const std::vector<float> stacked = file.at("chains").to_vector<float>();
    EXPECT_LE(mismatch_fraction(stacked, all), 0.05);
    EXPECT_NE(std::vector<float>(stacked.begin(), stacked.begin() + 60), std::vector<float>(stacked.begin() + 60, stacked.end()))
        << "the ranks' chains differ";
    EXPECT_EQ(file.metadata.at("ranks"), "2");
    world().barrier();
    if (world().rank() == 0) fs::remove(path);
}

INSTANTIATE_TEST_SUITE_P(Recipes, DataParallelRbm, ::testing::Values("pcd", "cd", "centred"));

// Interrupted after 25 updates (the stop asked on rank 1 alone stops both), saved,
// loaded into fresh trainers and finished: the same bits as the uninterrupted two-rank
// epoch. The two-rank checkpoint also resumes on one rank, re-sharded: the one-rank
// run's result within float rounding.
TEST(DataParallelCheckpoint, RbmResumesBitForBitAndOnOneRank) {
    if (world().size() != 2) GTEST_SKIP() << "needs mpirun -np 2";
    const std::uint64_t seed = shared_seed();
    const Tensor data = rbm_data(seed);
    const RbmTrainOptions o = rbm_options("centred");
    Rbm start(12, 6);
    start.init_normal(seed, 0.1f);

    Context& ctx = seeded(seed);
    Rbm whole = start.to(ctx.device());
    RbmTrainer uninterrupted(ctx, whole, o, world());
    uninterrupted.train_epoch(data);

    Rbm first = start.to(ctx.device());
    RbmTrainer stopped(ctx, first, o, world());
    std::atomic<bool> stop{false};
    const RbmEpochStats s = stopped.train_epoch(
        data, [&](std::int64_t done, std::int64_t) { stop = world().rank() == 1 && done == 25; }, &stop);
    EXPECT_TRUE(s.interrupted);
    EXPECT_EQ(stopped.batch_in_epoch(), 25) << "both ranks stop after the batch rank 1 asked at";
    const std::string path = shared_path(seed, "rbm-resume.safetensors");
    stopped.save(path);

    Rbm resumed = start.to(ctx.device());
    RbmTrainer again(ctx, resumed, o, world());
    again.load(path);
    again.train_epoch(data);
    EXPECT_TRUE(same_parameters(static_cast<const Rbm&>(resumed).parameters(),
                                static_cast<const Rbm&>(whole).parameters()));
    EXPECT_TRUE(test::same_bytes(again.chains().to_vector<float>(), uninterrupted.chains().to_vector<float>()));

    // On one rank: the same epoch as one rank trains it alone.
    Rbm alone = start.to(ctx.device());
    RbmTrainer one(ctx, alone, o);
    one.train_epoch(data);
    Rbm moved = start.to(ctx.device());
    RbmTrainer resharded(ctx, moved, o);
    resharded.load(path);
    resharded.train_epoch(data);
    EXPECT_LT(max_abs_difference(static_cast<const Rbm&>(moved).parameters(), static_cast<const Rbm&>(alone).parameters()),
              1e-4);
    world().barrier();
    if (world().rank() == 0) fs::remove(path);
}

// 400 labelled rows of 6 values in [-1, 1]: the class (of 3) shifts the mean.
std::tuple<Tensor, Tensor> jem_data(std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<float> u(-0.5f, 0.5f);
    std::vector<float> x;
    std::vector<std::int32_t> y;
    for (int r = 0; r < 400; ++r) {
        const int label = r % 3;
        y.push_back(label);
        for (int i = 0; i < 6; ++i) x.push_back(std::clamp(u(rng) + (i % 3 == label ? 0.4f : -0.2f), -1.0f, 1.0f));
    }
    return {Tensor::from(x, {400, 6}), Tensor::from(y, {400})};
}

JemTrainOptions jem_options(ChainStart start) {
    JemTrainOptions o;
    o.batch = 8;
    o.sampler.start = start;
    o.sampler.steps = 5;
    o.sampler.step.alpha = 0.05f;
    o.sampler.step.sigma = 0.01f;
    o.sampler.buffer_size = 16;
    o.optimizer.lr = 1e-2f;
    return o;
}

MlpEnergy jem_start(std::uint64_t seed) {
    MlpEnergy model({6, 16, 3}, Activation::silu());
    model.init_uniform(seed);
    return model;
}

// 50 iterations (an epoch of 400 rows at global batch 8) with persistent chains: two
// ranks of 4 rows train the one-rank model within float rounding; the statistics are the
// global batch's.
TEST(DataParallelJem, TwoRanksTrainTheOneRankModel) {
    if (world().size() != 2) GTEST_SKIP() << "needs mpirun -np 2";
    const std::uint64_t seed = shared_seed();
    const auto [images, labels] = jem_data(seed);
    const JemTrainOptions o = jem_options(ChainStart::Persistent);
    const MlpEnergy start = jem_start(seed);

    Context& ctx = seeded(seed);
    MlpEnergy alone = start.to(ctx.device());
    JemTrainer one(ctx, alone, o);
    const JemStepStats one_stats = one.train_epoch(images, labels);

    MlpEnergy together = start.to(ctx.device());
    JemTrainer two(ctx, together, o, world());
    const JemStepStats two_stats = two.train_epoch(images, labels);
    EXPECT_EQ(one.iterations(), 50);
    EXPECT_EQ(two.iterations(), 50);
    const std::vector<ConstTensorView> a = static_cast<const MlpEnergy&>(together).parameters();
    const std::vector<ConstTensorView> b = static_cast<const MlpEnergy&>(alone).parameters();
    const double gap = max_abs_difference(a, b);
    std::printf("[ rank %d   ] JEM: largest parameter difference %.3g\n", world().rank(), gap);
    EXPECT_LT(gap, 1e-4);
    // A hundred times the tolerance at least: the agreement is that of trained models.
    EXPECT_GT(max_abs_difference(a, static_cast<const MlpEnergy&>(start).parameters()), 1e-2) << "the model was trained";
    // The epoch's mean statistics (two ranks average theirs in float32).
    EXPECT_NEAR(two_stats.accuracy, one_stats.accuracy, 1e-2);
    EXPECT_NEAR(two_stats.energy_sample, one_stats.energy_sample, 1e-3 * (1 + std::abs(one_stats.energy_sample)));
}

// Score matching (ScoreTrainer): 25 steps of global batch 16 on 400 rows of a 2-D
// Gaussian over a 3-level ladder; two ranks of 8 rows each draw the noise of their rows
// of the global batch (keyed by the global row index), so they train the one-rank model
// within float rounding, and the epoch's mean loss is the same.
TEST(DataParallelScore, TwoRanksTrainTheOneRankModel) {
    if (world().size() != 2) GTEST_SKIP() << "needs mpirun -np 2";
    const std::uint64_t seed = shared_seed();
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> z;
    std::vector<float> rows(800);
    for (float& v : rows) v = 0.5f * z(rng) + 0.2f;
    const Tensor data = Tensor::from(rows, {400, 2});
    ScoreTrainOptions o;
    o.batch = 16;
    o.sigmas = geometric_ladder(1.0f, 0.1f, 3);
    o.optimizer.lr = 1e-2f;
    MlpEnergy start({2, 16, 1}, Activation::softplus());
    start.init_uniform(seed);

    Context& ctx = seeded(seed);
    MlpEnergy alone = start.to(ctx.device());
    ScoreTrainer one(ctx, alone, o);
    const ScoreStepStats one_stats = one.train_epoch(data);
    MlpEnergy together = start.to(ctx.device());
    ScoreTrainer two(ctx, together, o, world());
    const ScoreStepStats two_stats = two.train_epoch(data);
    EXPECT_EQ(one.iterations(), 25);
    EXPECT_EQ(two.iterations(), 25);
    const std::vector<ConstTensorView> a = static_cast<const MlpEnergy&>(together).parameters();
    const std::vector<ConstTensorView> b = static_cast<const MlpEnergy&>(alone).parameters();
    const double gap = max_abs_difference(a, b);
    std::printf("[ rank %d   ] score: largest parameter difference %.3g\n", world().rank(), gap);
    EXPECT_LT(gap, 1e-4);
    EXPECT_GT(max_abs_difference(a, static_cast<const MlpEnergy&>(start).parameters()), 1e-2) << "the model was trained";
    EXPECT_NEAR(two_stats.loss, one_stats.loss, 1e-4 * (1 + std::abs(one_stats.loss)));
}

// Each rank's replay buffer is its part of the one-rank buffer at the start (slots
// 8 r .. 8 r + 7, keyed by their global index), the parts differ, and a checkpoint
// stacks them; it resumes bit for bit at two ranks and re-sharded at one.
TEST(DataParallelJem, ReplayBuffersArePartsOfTheGlobalOne) {
    if (world().size() != 2) GTEST_SKIP() << "needs mpirun -np 2";
    const std::uint64_t seed = shared_seed();
    const auto [images, labels] = jem_data(seed);
    const JemTrainOptions o = jem_options(ChainStart::ReplayBuffer);
    const MlpEnergy start = jem_start(seed);

    Context& ctx = seeded(seed);
    MlpEnergy alone = start.to(ctx.device());
    JemTrainer one(ctx, alone, o);
    MlpEnergy model = start.to(ctx.device());
    JemTrainer two(ctx, model, o, world());
    const std::vector<float> global = one.sampler().buffer()->samples().to_vector<float>();
    const std::vector<float> part = two.sampler().buffer()->samples().to_vector<float>();
    ASSERT_EQ(part.size(), global.size() / 2);
    const auto begin = global.begin() + static_cast<std::ptrdiff_t>(world().rank() * part.size());
    EXPECT_EQ(part, std::vector<float>(begin, begin + static_cast<std::ptrdiff_t>(part.size())));

    std::atomic<bool> stop{false};
    two.train_epoch(images, labels, [&](std::int64_t done, std::int64_t, const JemStepStats&) { stop = done == 20; }, &stop);
    const std::string path = shared_path(seed, "jem-resume.safetensors");
    two.save(path);
    const SafeTensors file = load_safetensors(path);
    const std::vector<float> stacked = file.at("replay_buffer").to_vector<float>();
    ASSERT_EQ(stacked.size(), global.size());
    EXPECT_NE(std::vector<float>(stacked.begin(), stacked.begin() + 48), std::vector<float>(stacked.begin() + 48, stacked.end()));
    const std::vector<float> now = two.sampler().buffer()->samples().to_vector<float>();
    EXPECT_EQ(now, std::vector<float>(stacked.begin() + static_cast<std::ptrdiff_t>(world().rank() * now.size()),
                                      stacked.begin() + static_cast<std::ptrdiff_t>((world().rank() + 1) * now.size())));
    two.train_epoch(images, labels);

    MlpEnergy resumed = start.to(ctx.device());
    JemTrainer again(ctx, resumed, o, world());
    again.load(path);
    again.train_epoch(images, labels);
    EXPECT_TRUE(same_parameters(static_cast<const MlpEnergy&>(resumed).parameters(),
                                static_cast<const MlpEnergy&>(model).parameters()));
    EXPECT_TRUE(test::same_bytes(again.sampler().buffer()->samples().to_vector<float>(),
                                 two.sampler().buffer()->samples().to_vector<float>()));

    MlpEnergy single = start.to(ctx.device());
    JemTrainer resharded(ctx, single, o);
    resharded.load(path);
    EXPECT_EQ(resharded.sampler().buffer()->samples().to_vector<float>(), stacked);
    ASSERT_FALSE(resharded.events().empty());
    EXPECT_NE(resharded.events().back().find("re-sharded"), std::string::npos);
    world().barrier();
    if (world().rank() == 0) fs::remove(path);
}

// A global size that does not split among the ranks, and PT on several ranks, are
// refused on every rank before anything is trained (so no rank waits in a collective).
TEST(DataParallelContract, SizesThatDoNotSplitAreRefusedOnEveryRank) {
    if (world().size() != 2) GTEST_SKIP() << "needs mpirun -np 2";
    Context& ctx = seeded(1);
    Rbm rbm(6, 3, ctx.device());
    RbmTrainOptions o;
    o.batch = 9;
    try {
        RbmTrainer bad(ctx, rbm, o, world());
        FAIL() << "batch 9 on 2 ranks";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("options.batch 9 must be a multiple of the 2 ranks"), std::string::npos)
            << e.what();
    }
    o.batch = 10;
    o.chains = 7;
    EXPECT_THROW(RbmTrainer(ctx, rbm, o, world()), Error);
    o.chains = 0;
    o.tempering_replicas = 3;
    EXPECT_THROW(RbmTrainer(ctx, rbm, o, world()), Error);

    MlpEnergy model = MlpEnergy({4, 5, 2}, Activation::silu()).to(ctx.device());
    JemTrainOptions j;
    j.batch = 7;
    EXPECT_THROW(JemTrainer(ctx, model, j, world()), Error);
    j.batch = 8;
    j.sampler.buffer_size = 15;
    EXPECT_THROW(JemTrainer(ctx, model, j, world()), Error);

    // A checkpoint rank 0 cannot write throws on every rank (none waits for it).
    j.sampler.buffer_size = 16;
    JemTrainer trainer(ctx, model, j, world());
    try {
        trainer.save("/nonexistent-ebmkit-directory/jem.safetensors");
        FAIL() << "an unwritable path";
    } catch (const Error& e) {
        if (world().rank() == 1) EXPECT_NE(std::string(e.what()).find("rank 0 could not write"), std::string::npos) << e.what();
    }
    world().barrier();
}

// One rank of an MPI job (mpirun -np 1) trains exactly what a trainer without a
// communicator trains, bit for bit: RBM (centred PCD) and JEM (replay buffer).
TEST(DataParallelOneRank, TheSameBitsAsNoCommunicator) {
    if (world().size() != 1) GTEST_SKIP() << "needs mpirun -np 1";
    const std::uint64_t seed = shared_seed();
    const Tensor data = rbm_data(seed);
    Rbm start(12, 6);
    start.init_normal(seed, 0.1f);
    Context& ctx = seeded(seed);
    Rbm plain = start.to(ctx.device()), ranked = start.to(ctx.device());
    RbmTrainer without(ctx, plain, rbm_options("centred"));
    RbmTrainer with(ctx, ranked, rbm_options("centred"), world());
    without.train_epoch(data);
    with.train_epoch(data);
    EXPECT_TRUE(same_parameters(static_cast<const Rbm&>(ranked).parameters(), static_cast<const Rbm&>(plain).parameters()));
    EXPECT_TRUE(test::same_bytes(with.chains().to_vector<float>(), without.chains().to_vector<float>()));

    const auto [images, labels] = jem_data(seed);
    MlpEnergy m0 = jem_start(seed).to(ctx.device()), m1 = jem_start(seed).to(ctx.device());
    JemTrainer j0(ctx, m0, jem_options(ChainStart::ReplayBuffer));
    JemTrainer j1(ctx, m1, jem_options(ChainStart::ReplayBuffer), world());
    const JemStepStats s0 = j0.train_epoch(images, labels), s1 = j1.train_epoch(images, labels);
    EXPECT_TRUE(same_parameters(static_cast<const MlpEnergy&>(m1).parameters(),
                                static_cast<const MlpEnergy&>(m0).parameters()));
    EXPECT_TRUE(test::same_bytes(j1.sampler().buffer()->samples().to_vector<float>(),
                                 j0.sampler().buffer()->samples().to_vector<float>()));
    EXPECT_EQ(s1.loss, s0.loss);
}

}  // namespace
}  // namespace ebmkit
