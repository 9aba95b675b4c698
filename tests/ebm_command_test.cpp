// The ebm command end to end on a tiny IDX data set written here: train, eval
// (exact and AIS), sample, and its errors and exit codes.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <csignal>
#include <cmath>
#include <thread>

#include <array>
#include <tuple>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "ebmkit/names.hpp"
#include "ebmkit/sample.hpp"
#include "ebmkit/checkpoint.hpp"
#include "ebmkit/version.hpp"
#include "png_read.hpp"
#include "support.hpp"

namespace ebmkit {
namespace {

namespace fs = std::filesystem;

struct CommandResult {
    int status;
    std::string out;  // stdout
    std::string err;  // stderr
};

std::string text_of(const std::string& file) {
    std::ifstream in(file);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// ebm with args, started by launcher (e.g. "mpirun -np 2") when one is given.
CommandResult run(const std::string& args, const std::string& launcher = "") {
    const std::string err = (fs::temp_directory_path() / ("ebm-stderr-" + std::to_string(getpid()))).string();
    const std::string cmd = (launcher.empty() ? "" : launcher + " ") + std::string(EBM_BINARY) + " " + args + " 2>" + err;
    CommandResult r{0, "", ""};
    FILE* p = popen(cmd.c_str(), "r");
    std::array<char, 4096> buf;
    while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) r.out.append(buf.data(), n);
    const int raw = pclose(p);
    r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    r.err = text_of(err);
    fs::remove(err);
    return r;
}

// A number from the JSON object the command prints (NaN when absent or not a number).
double json_number(const std::string& json, const std::string& key) {
    const auto doc = nlohmann::json::parse(json, nullptr, false);
    if (!doc.is_object() || !doc.contains(key) || !doc[key].is_number()) return NAN;
    return doc[key].get<double>();
}

class EbmCommand : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("ebm-command-" + std::to_string(std::random_device{}()));
        fs::create_directories(dir_);
        auto rng = test::fresh_rng();
        // 4x4 images: two stripe patterns with noise, so there is something to learn.
        write_split("train", 300, rng);
        write_split("t10k", 100, rng);
    }
    void TearDown() override { fs::remove_all(dir_); }
    std::string path(const std::string& name) const { return (dir_ / name).string(); }

    void write_split(const std::string& prefix, std::uint32_t n, std::mt19937_64& rng) {
        std::vector<unsigned char> img, lab;
        auto be32 = [](std::vector<unsigned char>& b, std::uint32_t v) {
            for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<unsigned char>(v >> s));
        };
        be32(img, 0x803), be32(img, n), be32(img, 4), be32(img, 4);
        be32(lab, 0x801), be32(lab, n);
        for (std::uint32_t k = 0; k < n; ++k) {
            for (int p = 0; p < 16; ++p) {
                const bool on = (k % 2) ? (p / 4) % 2 == 0 : p % 2 == 0;
                img.push_back((on != (rng() % 10 == 0)) ? 230 : 20);
            }
            lab.push_back(static_cast<unsigned char>(k % 2));
        }
        gz(path(prefix + "-images-idx3-ubyte.gz"), img);
        gz(path(prefix + "-labels-idx1-ubyte.gz"), lab);
    }
    static void gz(const std::string& file, const std::vector<unsigned char>& bytes) {
        gzFile f = gzopen(file.c_str(), "wb");
        gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
        gzclose(f);
    }

    fs::path dir_;
};

TEST_F(EbmCommand, TrainEvalSampleRoundTrip) {
    const std::string model = path("rbm.safetensors");
    const CommandResult train = run("rbm train --data " + dir_.string() + " --hidden 8 --epochs 3 --batch 20 --lr 0.1 --seed 3 --out " +
                          model + " --json");
    ASSERT_EQ(train.status, 0);
    EXPECT_EQ(json_number(train.out, "hidden"), 8);
    EXPECT_TRUE(std::isfinite(json_number(train.out, "pseudo_log_likelihood"))) << train.out;

    const SafeTensors file = load_safetensors(model);
    EXPECT_EQ(file.at("W").shape(), (Shape{16, 8}));
    EXPECT_EQ(file.at("b").shape(), (Shape{16}));
    EXPECT_EQ(file.at("c").shape(), (Shape{8}));
    EXPECT_EQ(file.metadata.at("binarize"), "threshold");
    EXPECT_EQ(file.metadata.at("centered"), "true");  // the default recipe: centred PCD-1

    // eval --exact agrees with the library on the same test images.
    const CommandResult exact = run("rbm eval --data " + dir_.string() + " --model " + model + " --exact --json");
    ASSERT_EQ(exact.status, 0);
    Rbm rbm(16, 8);
    rbm.w().copy_from(file.at("W"));
    rbm.b().copy_from(file.at("b"));
    rbm.c().copy_from(file.at("c"));
    Context ctx(Backend::Cpu);
    const Tensor test = binarize_threshold(load_fashion_mnist(dir_.string(), "test").images);
    Tensor f({test.dim(0)});
    free_energy(ctx, rbm, test, f);
    double ll = 0;
    for (float v : f.to_vector<float>()) ll -= v / test.dim(0);
    ll -= log_partition_exact(ctx, rbm);
    EXPECT_NEAR(json_number(exact.out, "test_log_likelihood"), ll, 1e-4);

    const CommandResult ais =
        run("rbm eval --data " + dir_.string() + " --model " + model + " --ais --ais-runs 16 --ais-steps 500 --raise 30 --json");
    ASSERT_EQ(ais.status, 0);
    EXPECT_NEAR(json_number(ais.out, "log_z"), json_number(exact.out, "log_z"), 0.2);
    // The bracket on the first 30 images: RAISE just below their exact log-likelihood
    // (AIS's figure there, moved by AIS's log Z error).
    EXPECT_EQ(json_number(ais.out, "raise_images"), 30);
    const double exact_there = json_number(ais.out, "ais_log_likelihood_raise_images") + json_number(ais.out, "log_z") -
                               json_number(exact.out, "log_z");
    EXPECT_LT(json_number(ais.out, "raise_log_likelihood"), exact_there + 0.05) << ais.out;
    EXPECT_GT(json_number(ais.out, "raise_log_likelihood"), exact_there - 1.0) << ais.out;
    EXPECT_GT(json_number(ais.out, "raise_std_error"), 0.0);
    EXPECT_NEAR(json_number(ais.out, "bracket_width"),
                json_number(ais.out, "ais_log_likelihood_raise_images") - json_number(ais.out, "raise_log_likelihood"), 1e-9);
    EXPECT_GT(json_number(ais.out, "bracket_width_std_error"), 0.0);
    EXPECT_NE(ais.err.find("bracket on the first 30 images: RAISE"), std::string::npos) << ais.err;
    EXPECT_TRUE(std::isnan(json_number(exact.out, "raise_log_likelihood")));  // none with --exact

    const std::string png = path("samples.png");
    const CommandResult sampled = run("rbm sample --data " + dir_.string() + " --model " + model +
                                      " --chains 6 --steps 50 --columns 3 --out " + png);
    ASSERT_EQ(sampled.status, 0);
    EXPECT_GT(fs::file_size(png), 50u);
    EXPECT_NE(sampled.err.find("classes among 6 samples"), std::string::npos) << sampled.err;
    // A copying RBM (W = 12 I, b = c = -6: one sweep returns its start but for a rare bit)
    // from 20 training images: both stripe classes show.
    Rbm copier(16, 16);
    std::vector<float> eye(256, 0.0f);
    for (int i = 0; i < 16; ++i) eye[i * 17] = 12.0f;
    copier.w().copy_from(Tensor::from(eye, {16, 16}));
    copier.b().copy_from(Tensor::from(std::vector<float>(16, -6.0f), {16}));
    copier.c().copy_from(Tensor::from(std::vector<float>(16, -6.0f), {16}));
    CheckpointContents contents;
    add_model(contents, copier, "copier");
    contents.write(path("copier.safetensors"));
    const CommandResult from_data = run("rbm sample --data " + dir_.string() + " --model " + path("copier.safetensors") +
                                        " --init data --chains 20 --steps 1 --out " + png);
    ASSERT_EQ(from_data.status, 0);
    EXPECT_NE(from_data.err.find("2 classes among 20 samples"), std::string::npos) << from_data.err;
    // Without readable training images a random start still samples, with no count.
    const CommandResult no_data =
        run("rbm sample --data " + path("absent") + " --model " + model + " --chains 6 --steps 5 --out " + png);
    ASSERT_EQ(no_data.status, 0);
    EXPECT_NE(no_data.err.find("no class count"), std::string::npos) << no_data.err;
}

// Centred PT training: the checkpoint is a plain RBM beside the PT replicas, the centring
// offsets and their metadata; the log has each epoch's swap rates; a resumed run continues,
// and PT sampling from training images writes its grid.
TEST_F(EbmCommand, CentredParallelTemperingTrainsResumesAndSamples) {
    const std::string model = path("pt.safetensors"), log = path("pt.jsonl");
    const std::string train = "rbm train --data " + dir_.string() + " --hidden 6 --batch 20 --lr 0.1 --seed 3 --pt 3 --centered";
    ASSERT_EQ(run(train + " --epochs 1 --log " + log + " --out " + model).status, 0);
    const SafeTensors file = load_safetensors(model);
    EXPECT_EQ(file.at("W").shape(), (Shape{16, 6}));
    EXPECT_EQ(file.at("centering.visible_offset").shape(), (Shape{16}));
    EXPECT_EQ(file.at("centering.hidden_offset").shape(), (Shape{6}));
    EXPECT_EQ(file.at("tempering.states").dim(0) % 3, 0);
    EXPECT_EQ(file.metadata.at("tempering_replicas"), "3");
    EXPECT_EQ(file.metadata.at("centered"), "true");
    std::ifstream in(log);
    std::string line;
    ASSERT_TRUE(std::getline(in, line));
    const auto entry = nlohmann::json::parse(line);
    ASSERT_EQ(entry.at("swap_rates").size(), 2u);
    for (double r : entry.at("swap_rates")) EXPECT_TRUE(r >= 0.0 && r <= 1.0) << line;
    ASSERT_EQ(run(train + " --epochs 1 --resume " + model + " --out " + path("pt2.safetensors")).status, 0);
    EXPECT_EQ(load_safetensors(path("pt2.safetensors")).metadata.at("trainer_epoch"), "2");
    EXPECT_EQ(run("rbm train --data " + dir_.string() + " --pt 1 --out " + path("no")).status, 2);
    EXPECT_EQ(run("rbm train --data " + dir_.string() + " --pt 3 --cd 1 --out " + path("no")).status, 2);
    const std::string png = path("pt.png");
    const CommandResult sample = run("rbm sample --model " + model + " --chains 4 --steps 20 --pt 3 --init data --data " +
                                     dir_.string() + " --out " + png);
    ASSERT_EQ(sample.status, 0) << sample.err;
    EXPECT_NE(sample.err.find("swap rates"), std::string::npos) << sample.err;
    EXPECT_GT(fs::file_size(png), 50u);
}

TEST_F(EbmCommand, JemTrainEvalSampleAndResume) {
    const std::string model = path("jem.safetensors"), curves = path("curves.csv");
    // 300 training images: 100 held out for validation, 200 in batches of 20.
    const std::string common = "--data " + dir_.string() +
                               " --widths 16,8,2 --batch 20 --lr 0.01 --sgld-steps 3 --buffer 50 --seed 2 --valid 100";
    const CommandResult train = run("jem train " + common + " --epochs 4 --out " + model + " --curves " + curves + " --json");
    ASSERT_EQ(train.status, 0);
    // The checkpoint (and the summary) is the epoch with the best validation accuracy.
    const double epochs = json_number(train.out, "epochs"), iterations = json_number(train.out, "iterations");
    EXPECT_TRUE(epochs >= 1 && epochs <= 4) << train.out;
    EXPECT_EQ(iterations, 10 * epochs);
    EXPECT_GT(json_number(train.out, "valid_accuracy"), 0.8);  // chance is 0.5
    const double accuracy = json_number(train.out, "test_accuracy");
    EXPECT_GT(accuracy, 0.8);
    std::ifstream in(curves);
    std::string header, line;
    std::getline(in, header);
    EXPECT_EQ(header.rfind("epoch,loss", 0), 0u);
    int rows = 0;
    while (std::getline(in, line)) ++rows;
    EXPECT_EQ(rows, 4);
    // The curves' plot: three panels (loss and its terms, accuracy, energies) drawn by gnuplot.
    const test::Image plot = test::read_png(curves + ".png");
    EXPECT_EQ(plot.width, 900);
    EXPECT_EQ(plot.height, 3 * 260);

    const CommandResult eval = run("jem eval --data " + dir_.string() + " --model " + model + " --json");
    ASSERT_EQ(eval.status, 0);
    EXPECT_NEAR(json_number(eval.out, "test_accuracy"), accuracy, 1e-9);

    const CommandResult resumed =
        run("jem train " + common + " --epochs 1 --resume " + model + " --out " + path("jem2.safetensors") + " --json");
    ASSERT_EQ(resumed.status, 0);
    EXPECT_EQ(json_number(resumed.out, "iterations"), iterations + 10);
    EXPECT_EQ(json_number(resumed.out, "epochs"), epochs + 1);

    ASSERT_EQ(run("jem sample --model " + model + " --count 4 --steps 10 --out " + path("jem.png")).status, 0);
    EXPECT_GT(fs::file_size(path("jem.png")), 50u);
    ASSERT_EQ(run("jem sample --model " + model + " --per-class --steps 10 --out " + path("per-class.png")).status, 0);
    EXPECT_GT(fs::file_size(path("per-class.png")), 50u);
    // The trained model's energy through the samplers for any energy (HMC on a JEM model).
    for (const std::string args : {"--sampler hmc --leapfrog 3", "--sampler mala --label 1"}) {
        const CommandResult r = run("sample --model " + model + " " + args +
                                    " --step 0.001 --chains 8 --steps 6 --burn-in 2 --backend cpu --json");
        ASSERT_EQ(r.status, 0) << args << ": " << r.err;
        const auto doc = nlohmann::json::parse(r.out);
        EXPECT_GT(doc["acceptance"].get<double>(), 0.0) << args;
        EXPECT_EQ(doc["dimensions"].size(), 16u) << args;
        EXPECT_FALSE(doc["dimensions"][0].contains("exact_mean")) << args;
    }
    EXPECT_EQ(run("sample --model " + model + " --energy banana").status, 2);
    EXPECT_EQ(run("sample --label 1").status, 2);
    EXPECT_EQ(run("sample --model " + model + " --label 99 --backend cpu").status, 1);  // K is smaller
    EXPECT_EQ(run("jem train --widths 16,x").status, 2);
    EXPECT_EQ(run("jem train --data " + dir_.string() + " --widths 15,8,2 --epochs 1 --out " + path("bad")).status, 1);
}

// SIGINT or SIGTERM during `ebm jem train` and `ebm rbm train`: the batch finishes, a
// resumable checkpoint is written and named, the exit status is 130 or 143, and
// resuming from the checkpoint finishes the interrupted epoch.
// jem ood and rbm ood on tiny trained models: a record per (set, score) with the metrics
// inside [0, 1] and their intervals around them; the stripes' inversion (dark stripes on
// light) is told apart from the test images; the ROC plot is drawn.
TEST_F(EbmCommand, OodScoresEverySetWithIntervals) {
    const std::string jem = path("jem.safetensors"), rbm = path("rbm.safetensors");
    ASSERT_EQ(run("jem train --data " + dir_.string() + " --widths 16,8,2 --batch 20 --lr 0.01 --sgld-steps 3 --buffer 50 "
                  "--seed 2 --valid 100 --epochs 2 --out " + jem).status, 0);
    ASSERT_EQ(run("rbm train --data " + dir_.string() + " --hidden 8 --epochs 3 --batch 20 --lr 0.1 --seed 3 --out " + rbm)
                  .status, 0);
    for (const auto& [family, model, scores] : {std::tuple{std::string("jem"), jem, 3}, std::tuple{std::string("rbm"), rbm, 1}}) {
        const CommandResult r = run(family + " ood --data " + dir_.string() + " --model " + model +
                                    " --count 60 --reps 40 --json --roc " + path(family + "-roc.png"));
        ASSERT_EQ(r.status, 0) << r.err;
        const auto records = nlohmann::json::parse(r.out);
        ASSERT_EQ(records.size(), 6u * scores) << r.out;
        for (const auto& rec : records) {
            for (const char* metric : {"auroc", "aupr_in", "aupr_out", "fpr_at_95_tpr"}) {
                const double v = rec[metric]["value"], lo = rec[metric]["low"], hi = rec[metric]["high"];
                EXPECT_TRUE(v >= 0 && v <= 1 && lo <= v + 1e-12 && v <= hi + 1e-12) << family << " " << rec.dump();
            }
            if (rec["set"] == "invert" && (rec["score"] == "log_density" || rec["score"] == "log_p")) {
                EXPECT_GT(rec["auroc"]["value"].get<double>(), 0.8) << family << " " << rec.dump();
            }
        }
        EXPECT_EQ(test::read_png(path(family + "-roc.png")).width, 700);
    }
    EXPECT_EQ(run("jem ood --model " + jem + " --ood sideways").status, 2);
    // The RBM's score is log p(v) with log Z exact (8 hidden units): its mean over the test
    // images is ebm rbm eval's test log-likelihood; by AIS within AIS's error; -F(v) without.
    const CommandResult exact = run("rbm eval --data " + dir_.string() + " --model " + rbm + " --exact --test-limit 60 --json");
    ASSERT_EQ(exact.status, 0) << exact.err;
    for (const auto& [how, tolerance] : {std::pair{std::string("exact"), 1e-3}, std::pair{std::string("ais"), 0.5}}) {
        const CommandResult r = run("rbm ood --data " + dir_.string() + " --model " + rbm + " --ood invert --count 60 "
                                    "--reps 0 --json --log-z " + how + " --ais-runs 50 --ais-steps 300");
        ASSERT_EQ(r.status, 0) << r.err;
        const auto rec = nlohmann::json::parse(r.out).at(0);
        EXPECT_EQ(rec["score"], "log_p") << how;
        EXPECT_NEAR(rec["mean_in"].get<double>(), json_number(exact.out, "test_log_likelihood"), tolerance) << how;
    }
    const CommandResult unnormalised = run("rbm ood --data " + dir_.string() + " --model " + rbm +
                                           " --ood invert --count 60 --reps 0 --json --log-z none");
    ASSERT_EQ(unnormalised.status, 0) << unnormalised.err;
    EXPECT_EQ(nlohmann::json::parse(unnormalised.out).at(0)["score"], "neg_free_energy");
    // --digits: a folder of IDX files as tools/digits_to_idx.py writes them, one set more.
    auto rng = test::fresh_rng();
    write_split("digits", 30, rng);  // beside the data set's files: dir_ is the folder
    const CommandResult with_digits = run("rbm ood --data " + dir_.string() + " --model " + rbm + " --ood invert --digits " +
                                          dir_.string() + " --reps 5 --json");
    ASSERT_EQ(with_digits.status, 0) << with_digits.err;
    const auto two = nlohmann::json::parse(with_digits.out);
    ASSERT_EQ(two.size(), 2u);
    EXPECT_EQ(two[1]["set"], "digits");
    EXPECT_EQ(two[1]["images"], 100);
    EXPECT_EQ(two[1]["out_images"], 30);
    EXPECT_EQ(run("jem ood --data " + dir_.string() + " --model " + jem + " --ood heldout").status, 2);  // every class seen

    // Held-out classes: a JEM of class 0 alone (one output), scored on its class's test
    // images against class 1's (the other stripes), besides the transforms.
    const std::string one = path("jem-class0.safetensors");
    EXPECT_EQ(run("jem train --data " + dir_.string() + " --widths 16,8,2 --classes 0 --out " + one).status, 2);
    ASSERT_EQ(run("jem train --data " + dir_.string() + " --widths 16,8,1 --classes 0 --batch 20 --lr 0.01 --sgld-steps 3 "
                  "--buffer 40 --seed 2 --valid 50 --epochs 2 --out " + one).status, 0);
    const CommandResult held = run("jem ood --data " + dir_.string() + " --model " + one + " --reps 20 --json");
    ASSERT_EQ(held.status, 0) << held.err;
    const auto records = nlohmann::json::parse(held.out);
    ASSERT_EQ(records.size(), 7u * 3) << held.out;
    EXPECT_EQ(records.back()["set"], "heldout");
    EXPECT_EQ(records.back()["images"], 50);  // class 0's test images: every other of 100
    EXPECT_EQ(records.back()["out_images"], 50);
    // --classes is recorded with the run's configuration and repeats with --config-from.
    const std::string again = path("jem-class0-again.safetensors");
    ASSERT_EQ(run("jem train --config-from " + one + " --out " + again).status, 0);
    EXPECT_EQ(load_safetensors(again).metadata.at("classes"), "0");
}

// rbm inpaint: every mask restores the test images' missing pixels, never changes an
// observed one (the corrupted and restored rows of the grid agree off the mask), and
// reports its errors beside the two baselines'.
TEST_F(EbmCommand, RbmInpaintRestoresMissingPixelsAgainstBaselines) {
    const std::string rbm = path("rbm.safetensors");
    ASSERT_EQ(run("rbm train --data " + dir_.string() + " --hidden 8 --epochs 3 --batch 20 --lr 0.1 --seed 3 --out " + rbm)
                  .status, 0);
    for (const std::string mask : {"top", "left", "box", "random"}) {
        const CommandResult r = run("rbm inpaint --data " + dir_.string() + " --model " + rbm + " --mask " + mask +
                                    " --count 40 --sweeps 30 --json --out " + path("inpaint.png"));
        ASSERT_EQ(r.status, 0) << r.err;
        for (const char* key : {"mse", "mean_image_mse", "nearest_image_mse", "cross_entropy"}) {
            const double v = json_number(r.out, key);
            EXPECT_TRUE(v >= 0 && std::isfinite(v)) << mask << " " << key << ": " << r.out;
        }
        EXPECT_GT(json_number(r.out, "missing_pixels"), 0) << mask;
        const test::Image grid = test::read_png(path("inpaint.png"));
        EXPECT_EQ(grid.height, 3 * 5 + 1);
    }
    EXPECT_EQ(run("rbm inpaint --data " + dir_.string() + " --model " + rbm + " --mask diagonal").status, 2);
    // rbm denoise: the posterior under the flip model.
    const CommandResult cleaned = run("rbm denoise --data " + dir_.string() + " --model " + rbm +
                                      " --rate 0.1 --count 30 --sweeps 25 --json --out " + path("rbm-denoise.png"));
    ASSERT_EQ(cleaned.status, 0) << cleaned.err;
    for (const char* key : {"psnr_noisy", "psnr_denoised", "psnr_median"}) {
        EXPECT_TRUE(std::isfinite(json_number(cleaned.out, key))) << key << ": " << cleaned.out;
    }
    EXPECT_EQ(run("rbm denoise --data " + dir_.string() + " --model " + rbm + " --rate 0.7").status, 2);

    // jem inpaint: SGLD on the missing pixels, plain and class-conditional.
    const std::string jem = path("jem.safetensors");
    ASSERT_EQ(run("jem train --data " + dir_.string() + " --widths 16,8,2 --batch 20 --lr 0.01 --sgld-steps 3 --buffer 50 "
                  "--seed 2 --valid 100 --epochs 1 --out " + jem).status, 0);
    const CommandResult denoised = run("jem denoise --data " + dir_.string() + " --model " + jem +
                                       " --sigma 0.2 --steps 3 --count 30 --json --out " + path("jem-denoise.png"));
    ASSERT_EQ(denoised.status, 0) << denoised.err;
    for (const char* key : {"psnr_noisy", "psnr_denoised", "psnr_median", "psnr_gaussian"}) {
        EXPECT_TRUE(std::isfinite(json_number(denoised.out, key))) << key << ": " << denoised.out;
    }
    for (const std::string extra : {"", " --conditional"}) {
        const CommandResult r = run("jem inpaint --data " + dir_.string() + " --model " + jem + " --mask box --count 30 "
                                    "--steps 20 --json --out " + path("jem-inpaint.png") + extra);
        ASSERT_EQ(r.status, 0) << r.err;
        for (const char* key : {"mse", "mean_image_mse", "nearest_image_mse"}) {
            EXPECT_TRUE(json_number(r.out, key) >= 0) << key << ": " << r.out;
        }
        EXPECT_EQ(test::read_png(path("jem-inpaint.png")).height, 3 * 5 + 1);
    }
}

// ebm score on the tiny images and on a 2-D density: train (DSM over a ladder and SSM),
// resume, sample (a grid; the density's scores), denoise (PSNR of every method).
TEST_F(EbmCommand, ScoreTrainsSamplesAndDenoises) {
    const std::string model = path("score.safetensors");
    const std::string common = "score train --data " + dir_.string() + " --widths 16,12,1 --batch 20 --lr 0.01 --valid 50 "
                               "--sigma-max 0.5 --sigma-min 0.05 --levels 3 --seed 4";
    const CommandResult train = run(common + " --epochs 2 --out " + model + " --json");
    ASSERT_EQ(train.status, 0) << train.err;
    EXPECT_EQ(json_number(train.out, "iterations"), 30);  // 300 images in batches of 20, two epochs
    EXPECT_TRUE(std::isfinite(json_number(train.out, "valid_loss")));
    const CommandResult resumed = run(common + " --epochs 1 --resume " + model + " --out " + path("s2.safetensors") + " --json");
    ASSERT_EQ(resumed.status, 0) << resumed.err;
    EXPECT_EQ(json_number(resumed.out, "iterations"), 45);
    ASSERT_EQ(run("score sample --model " + model + " --count 8 --steps-per-level 5 --out " + path("s.png")).status, 0);
    EXPECT_EQ(test::read_png(path("s.png")).width, 8 * 5 + 1);  // 8 columns of 4 pixels and borders
    const CommandResult denoised = run("score denoise --data " + dir_.string() + " --model " + model +
                                       " --sigma 0.2 --count 40 --json --out " + path("d.png"));
    ASSERT_EQ(denoised.status, 0) << denoised.err;
    for (const char* key : {"psnr_noisy", "psnr_denoised", "psnr_median", "psnr_gaussian"}) {
        EXPECT_TRUE(std::isfinite(json_number(denoised.out, key))) << key << ": " << denoised.out;
    }
    EXPECT_EQ(test::read_png(path("d.png")).height, 3 * 5 + 1);  // noisy | denoised | clean rows

    for (const std::string loss : {"dsm", "ssm_vr"}) {
        const std::string toy = path("toy-" + loss + ".safetensors");
        ASSERT_EQ(run("score train --dataset ring8 --samples 256 --batch 64 --epochs 2 --widths 2,16,1 --loss " + loss +
                      " --out " + toy).status, 0);
        const CommandResult s = run("score sample --model " + toy + " --count 64 --steps-per-level 5 --json --csv " +
                                    path("toy.csv") + " --out " + path("toy.png"));
        ASSERT_EQ(s.status, 0) << s.err;
        EXPECT_TRUE(std::isfinite(json_number(s.out, "mean_log_density"))) << s.out;
        const double tv = json_number(s.out, "total_variation");
        EXPECT_TRUE(tv >= 0 && tv <= 1) << s.out;
        EXPECT_EQ(json_number(s.out, "levels"), loss == "dsm" ? 10 : 1);
    }
    // Bad input: a ladder that does not decrease, a noise level of zero.
    EXPECT_NE(run(common + " --sigma-max 0.05 --sigma-min 0.5 --out " + path("no")).status, 0);
    EXPECT_EQ(run("score denoise --data " + dir_.string() + " --model " + model + " --sigma 0").status, 2);
    EXPECT_FALSE(fs::exists(path("no")));
}

TEST_F(EbmCommand, TrainingStopsOnASignalWithAResumableCheckpoint) {
    const std::string jem = "jem train --data " + dir_.string() +
                            " --widths 16,8,2 --batch 20 --lr 0.01 --sgld-steps 3 --buffer 50 --seed 2 --valid 100";
    const std::string rbm = "rbm train --data " + dir_.string() + " --hidden 4 --batch 10 --seed 2";
    for (const auto& [common, sig] : {std::pair{jem, SIGINT}, {jem, SIGTERM}, {rbm, SIGINT}}) {
        const bool is_jem = common == jem;
        const std::string model = path("stop.safetensors"), log = path("stop.log");
        const std::string interrupted = path("stop.interrupted.safetensors");
        fs::remove(interrupted);
        const pid_t pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            const std::string cmd = "exec " + std::string(EBM_BINARY) + " " + common + " --epochs 100000 --out " +
                                    model + " 2>" + log;
            execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
            _exit(127);
        }
        // Once an epoch has finished (its summary line is in the log), the run is training.
        std::string text;
        const std::string epoch_done = is_jem ? "valid acc" : "pseudo-log-likelihood";
        for (int waited = 0; waited < 600 && text.find(epoch_done) == std::string::npos; ++waited) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            std::ifstream in(log);
            text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        }
        ASSERT_NE(text.find(epoch_done), std::string::npos) << "the run never finished an epoch: " << text;
        kill(pid, sig);
        int raw = 0;
        ASSERT_EQ(waitpid(pid, &raw, 0), pid);
        ASSERT_TRUE(WIFEXITED(raw)) << "killed by the signal instead of stopping";
        EXPECT_EQ(WEXITSTATUS(raw), 128 + sig);
        std::ifstream in(log);
        text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        EXPECT_NE(text.find("--resume " + interrupted), std::string::npos) << text;
        ASSERT_TRUE(fs::exists(interrupted));
        const CommandResult resumed =
            run(common + " --epochs 1 --resume " + interrupted + " --out " + path("after.safetensors") + " --json");
        ASSERT_EQ(resumed.status, 0);
        if (is_jem) {
            // The interrupted epoch finishes: whole epochs of 10 iterations again.
            const double iterations = json_number(resumed.out, "iterations");
            EXPECT_GT(iterations, 0);
            EXPECT_EQ(std::fmod(iterations, 10.0), 0.0) << resumed.out;
        } else {
            EXPECT_EQ(run("rbm eval --data " + dir_.string() + " --model " + path("after.safetensors") + " --exact").status,
                      0);
        }
    }
}

// --buffer 0 is the documented "chains from noise each time": training runs (it once
// failed in ReplayBuffer's size check) and the checkpoint holds no replay buffer. Run in
// the data's folder with --log and no --curves, it writes no curves plot (it once drew
// one named ".png" into the working directory).
TEST_F(EbmCommand, JemWithoutABufferStartsChainsFromNoise) {
    const std::string model = path("nobuffer.safetensors");
    const CommandResult r = run("jem train --data . --widths 16,8,2 --batch 20 --sgld-steps 1 --buffer 0 "
                                "--class-conditional --valid 100 --train-limit 140 --epochs 1 --log log.jsonl --out " +
                                    model,
                                "cd " + dir_.string() + " &&");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(load_safetensors(model).tensors.count("replay_buffer"), 0u);
    EXPECT_TRUE(fs::exists(path("log.jsonl")));
    for (const auto& entry : fs::directory_iterator(dir_)) {
        EXPECT_EQ(entry.path().filename().string().find(".png"), std::string::npos) << entry.path();
    }
}

// --activation leaky_relu is the library's leaky ReLU (Activation's default slope, 0.01
// as in PyTorch), and the checkpoint says so.
TEST_F(EbmCommand, JemLeakyReluTakesTheLibrarySlope) {
    const std::string model = path("leaky.safetensors");
    ASSERT_EQ(run("jem train --data " + dir_.string() + " --widths 16,8,2 --activation leaky_relu --batch 20 --sgld-steps 1 "
                  "--buffer 50 --valid 100 --train-limit 140 --epochs 1 --out " + model).status, 0);
    const SafeTensors file = load_safetensors(model);
    EXPECT_EQ(file.metadata.at("activation"), "leaky_relu");
    EXPECT_FLOAT_EQ(std::stof(file.metadata.at("leaky_slope")), Activation{}.leaky_slope);
    EXPECT_FLOAT_EQ(std::stof(file.metadata.at("leaky_slope")), 0.01f);
}

TEST_F(EbmCommand, ErrorsExitWithClearCodes) {
    EXPECT_EQ(run("").status, 2);
    EXPECT_EQ(run("rbm train --no-such-flag 1").status, 2);
    EXPECT_EQ(run("rbm train --epochs many").status, 2);
    EXPECT_EQ(run("rbm train --cd 1 --pcd 1").status, 2);
    EXPECT_EQ(run("rbm eval").status, 2);  // --model is required
    EXPECT_EQ(run("rbm train --data " + path("absent") + " --epochs 1 --out " + path("x")).status, 1);
    std::ofstream(path("corrupt.safetensors")) << "not a checkpoint";
    EXPECT_EQ(run("rbm eval --data " + dir_.string() + " --model " + path("corrupt.safetensors")).status, 1);
    EXPECT_EQ(run("rbm train --data " + dir_.string() + " --hidden 0 --out " + path("y")).status, 2);
}

// ebm sample: each sampler on its energy reports every dimension's mean within 5
// standard errors (sqrt(variance / ESS)) of the exact one, its variance, ESS and split
// R-hat, and the acceptance; bad values are usage errors.
TEST_F(EbmCommand, SampleReportsDiagnosticsAgainstTheExactMoments) {
    for (const std::string args : {"--energy banana --sampler hmc --step 0.15", "--energy gaussian --sampler mala --step 0.1",
                                   "--energy mixture --sampler mala --step 0.2"}) {
        const CommandResult r = run("sample " + args + " --chains 128 --steps 300 --burn-in 300 --backend cpu --json");
        ASSERT_EQ(r.status, 0) << r.err;
        const auto doc = nlohmann::json::parse(r.out);
        EXPECT_GT(doc["acceptance"].get<double>(), 0.3) << args;
        ASSERT_EQ(doc["dimensions"].size(), 2u) << args;
        for (const auto& d : doc["dimensions"]) {
            const double se = std::sqrt(d["exact_variance"].get<double>() / d["ess"].get<double>());
            EXPECT_NEAR(d["mean"].get<double>(), d["exact_mean"].get<double>(), 5 * se) << args;
            EXPECT_GT(d["split_r_hat"].get<double>(), 0.9) << args;
        }
    }
    const CommandResult text = run("sample --energy double-well --chains 16 --steps 10 --burn-in 0 --backend cpu");
    EXPECT_EQ(text.status, 0) << text.err;
    EXPECT_NE(text.out.find("split R-hat"), std::string::npos) << text.out;
    EXPECT_EQ(run("sample --step 0").status, 2);
    EXPECT_EQ(run("sample --sampler gibbs").status, 2);
    EXPECT_EQ(run("sample --energy cube").status, 2);
    EXPECT_EQ(run("sample --steps 3").status, 2);
}

// --help at every level of the command tree: the level's own usage, on stdout, status 0.
TEST_F(EbmCommand, HelpAtEveryLevelGoesToStdoutWithStatusZero) {
    for (const std::string level : {"", "sample", "rbm", "rbm train", "rbm eval", "rbm sample", "rbm ood", "rbm inpaint", "rbm denoise", "jem",
                                    "jem train", "jem eval", "jem sample", "jem ood", "jem inpaint", "jem denoise", "score", "score train",
                                    "score sample", "score denoise", "plot"}) {
        const CommandResult r = run(level + (level.empty() ? "" : " ") + "--help");
        EXPECT_EQ(r.status, 0) << level << ": " << r.err;
        EXPECT_NE(r.out.find("Usage: ebm" + (level.empty() ? "" : " " + level)), std::string::npos) << level << r.out;
        EXPECT_TRUE(r.err.empty()) << level << ": " << r.err;
    }
    // The choices listed are the library's names (ebmkit/names.hpp), all of them.
    const std::string jem_help = run("jem train --help").out;
    auto choices = [](const std::vector<std::string>& names) {
        std::string listed = "{";
        for (const std::string& name : names) listed += (listed.size() > 1 ? "," : "") + name;
        return listed + "}";
    };
    EXPECT_NE(jem_help.find(choices(names_of<ActivationKind>())), std::string::npos) << jem_help;
    EXPECT_NE(jem_help.find(choices(names_of<OptimizerKind>())), std::string::npos) << jem_help;
    EXPECT_NE(jem_help.find(choices(names_of<Backend>())), std::string::npos) << jem_help;
    EXPECT_NE(run("sample --help").out.find(choices(names_of<SamplerKind>())), std::string::npos);
    // Every option keeps its name: the train commands' help lists them all.
    const std::string rbm = run("rbm train --help").out, jem = run("jem train --help").out;
    for (const char* o : {"--data", "--hidden", "--cd", "--pcd", "--epochs", "--batch", "--lr", "--lr-decay", "--momentum",
                          "--weight-decay", "--chains", "--binarize", "--train-limit", "--seed", "--backend", "--out",
                          "--resume", "--json", "--log", "--config", "--config-from"}) {
        EXPECT_NE(rbm.find(o), std::string::npos) << o;
    }
    for (const char* o : {"--widths", "--activation", "--optimizer", "--sgld-steps", "--sgld-alpha", "--sgld-sigma",
                          "--buffer", "--reinit", "--clf-weight", "--gen-weight", "--energy-l2", "--class-conditional",
                          "--valid", "--patience", "--curves", "--log", "--config", "--config-from"}) {
        EXPECT_NE(jem.find(o), std::string::npos) << o;
    }
}

// --version: the version and the build (CUDA or CPU only, the CUDA version and architectures).
TEST_F(EbmCommand, VersionNamesTheBuild) {
    const CommandResult r = run("--version");
    EXPECT_EQ(r.status, 0) << r.err;
    const BuildInfo& b = build_info();
    EXPECT_NE(r.out.find("ebmkit " + b.version), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("revision " + b.revision), std::string::npos) << r.out;
    if (b.cuda) {
        EXPECT_NE(r.out.find("CUDA " + b.cuda_version), std::string::npos) << r.out;
        EXPECT_NE(r.out.find("sm_" + b.cuda_architectures.substr(0, 2)), std::string::npos) << r.out;
    } else {
        EXPECT_NE(r.out.find("CPU only"), std::string::npos) << r.out;
    }
}

// An unknown option or a bad value names itself on stderr, status 2, nothing run.
TEST_F(EbmCommand, UnknownOptionsAndBadValuesNameThemselves) {
    const std::string out = path("never.safetensors");
    for (const auto& [args, named] : std::vector<std::pair<std::string, std::vector<std::string>>>{
             {"rbm train --bogus", {"--bogus"}},
             {"jem train --no-such-flag 3", {"--no-such-flag"}},
             {"rbm train --epochs many", {"--epochs", "many"}},
             {"rbm train --hidden 0", {"--hidden", "0"}},
             {"rbm train --seed -1", {"--seed", "-1"}},
             {"jem train --lr nan", {"--lr", "nan"}},
             {"jem train --widths 16,x", {"--widths", "16,x"}},
             {"jem train --backend gpu", {"--backend", "gpu"}},
             {"jem train --optimizer lbfgs", {"--optimizer", "lbfgs"}},
             {"rbm train --cd 1 --pcd 1", {"--cd", "--pcd"}},
             {"rbm eval", {"--model"}},
             {"jem sample --model " + path("absent"), {"--model", "absent"}},
             {"rbm frobnicate", {"frobnicate"}},
             {"rbm frobnicate --help", {"ebm rbm frobnicate"}},
             {"frobnicate --help", {"ebm frobnicate", "rbm, jem, score"}},
         }) {
        const CommandResult r = run(args + " --data " + dir_.string() + " --out " + out);
        EXPECT_EQ(r.status, 2) << args << ": " << r.err;
        for (const std::string& word : named) EXPECT_NE(r.err.find(word), std::string::npos) << args << ": " << r.err;
        EXPECT_FALSE(fs::exists(out)) << args;
    }
}

// --plain trains the textbook RBM; a checkpoint given to the other family's command
// is named for what it holds, status 1, nothing written.
TEST_F(EbmCommand, ACheckpointOfTheWrongKindIsNamed) {
    const std::string rbm = path("rbm.safetensors"), jem = path("jem.safetensors"), out = path("never.png");
    ASSERT_EQ(run("rbm train --data " + dir_.string() + " --hidden 4 --epochs 1 --batch 50 --plain --out " + rbm).status, 0);
    EXPECT_EQ(load_safetensors(rbm).metadata.at("centered"), "false");
    ASSERT_EQ(run("jem train --data " + dir_.string() + " --widths 16,4,2 --epochs 1 --batch 50 --sgld-steps 1 --out " + jem).status, 0);
    for (const auto& [args, holds] : std::vector<std::pair<std::string, std::string>>{
             {"jem eval --data " + dir_.string() + " --model " + rbm, "holds an RBM (use ebm rbm), not a JEM"},
             {"jem sample --out " + out + " --model " + rbm, "holds an RBM"},
             {"jem ood --data " + dir_.string() + " --model " + rbm, "holds an RBM"},
             {"score sample --out " + out + " --model " + rbm, "holds an RBM (use ebm rbm), not a score model"},
             {"sample --model " + rbm, "not a JEM or a score model"},
             {"rbm eval --data " + dir_.string() + " --model " + jem, "holds a JEM (use ebm jem), not an RBM"},
             {"rbm sample --out " + out + " --model " + jem, "holds a JEM"},
             {"rbm ood --data " + dir_.string() + " --model " + jem, "holds a JEM"},
         }) {
        const CommandResult r = run(args + " --backend cpu");
        EXPECT_EQ(r.status, 1) << args << ": " << r.err;
        EXPECT_NE(r.err.find(holds), std::string::npos) << args << ": " << r.err;
        EXPECT_FALSE(fs::exists(out)) << args;
    }
}

// --config FILE gives options (the command line wins); the checkpoint records the
// whole configuration; --config-from CHECKPOINT repeats the run bit for bit.
TEST_F(EbmCommand, ConfigRoundTripsThroughTheCheckpoint) {
    const std::string config = path("rbm.json"), first = path("first.safetensors"), again = path("again.safetensors");
    std::ofstream(config) << R"({"hidden": 3, "epochs": 2, "batch": 10, "lr": 0.1, "cd": 2, "binarize": "sample",)"
                          << R"( "data": ")" << dir_.string() << R"("})";
    const CommandResult r = run("rbm train --config " + config + " --hidden 4 --seed 5 --json --out " + first);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(json_number(r.out, "hidden"), 4);  // the command line wins
    EXPECT_EQ(json_number(r.out, "epochs"), 2);  // the file fills the rest
    const SafeTensors saved = load_safetensors(first);
    const auto recorded = nlohmann::json::parse(saved.metadata.at("config"));
    EXPECT_EQ(recorded.at("hidden"), 4);
    EXPECT_EQ(recorded.at("epochs"), 2);
    EXPECT_EQ(recorded.at("batch"), 10);
    EXPECT_EQ(recorded.at("lr"), 0.1);
    EXPECT_EQ(recorded.at("cd"), 2);
    EXPECT_EQ(recorded.at("seed"), 5);
    EXPECT_EQ(recorded.at("binarize"), "sample");
    EXPECT_EQ(recorded.at("json"), true);
    EXPECT_EQ(recorded.at("momentum"), 0);  // defaults too: the whole configuration
    EXPECT_FALSE(recorded.contains("pcd"));  // not given, and excluded by --cd
    EXPECT_FALSE(recorded.contains("out"));  // where to write is the repeat's choice
    EXPECT_FALSE(recorded.contains("config"));
    EXPECT_EQ(saved.metadata.at("k"), "2");
    EXPECT_EQ(saved.metadata.at("persistent"), "false");

    const CommandResult repeat = run("rbm train --config-from " + first + " --out " + again);
    ASSERT_EQ(repeat.status, 0) << repeat.err;
    const SafeTensors repeated = load_safetensors(again);
    EXPECT_EQ(repeated.metadata.at("config"), saved.metadata.at("config"));
    for (const char* name : {"W", "b", "c"}) {
        EXPECT_EQ(repeated.at(name).to_vector<float>(), saved.at(name).to_vector<float>()) << name;
    }

    // JEM: a switch and a string survive the round trip.
    const std::string jem = path("jem.safetensors"), jem_again = path("jem-again.safetensors");
    ASSERT_EQ(run("jem train --data " + dir_.string() + " --widths 16,8,2 --batch 20 --sgld-steps 2 --buffer 50 "
                  "--valid 100 --train-limit 140 --class-conditional --optimizer adam --seed 3 --out " + jem).status,
              0);
    const auto jem_config = nlohmann::json::parse(load_safetensors(jem).metadata.at("config"));
    EXPECT_EQ(jem_config.at("class-conditional"), true);
    EXPECT_EQ(jem_config.at("widths"), "16,8,2");
    EXPECT_EQ(jem_config.at("optimizer"), "adam");
    EXPECT_EQ(jem_config.at("sgld-steps"), 2);
    ASSERT_EQ(run("jem train --config-from " + jem + " --out " + jem_again).status, 0);
    const SafeTensors a = load_safetensors(jem), b = load_safetensors(jem_again);
    EXPECT_EQ(a.metadata.at("config"), b.metadata.at("config"));
    EXPECT_EQ(a.at("layers.0.weight").to_vector<float>(), b.at("layers.0.weight").to_vector<float>());

    // A config's mistakes are usage errors that name themselves.
    const std::string bad = path("bad.json");
    for (const auto& [text, named] : std::vector<std::pair<std::string, std::string>>{
             {R"({"hiden": 3})", "hiden"},
             {R"({"epochs": 0})", "--epochs"},
             {R"({"epochs": [1, 2]})", "epochs"},
             {R"({"out": "elsewhere"})", "out"},
             {R"({"cd": 1})", "--pcd"},
             {R"([1, 2])", "object"},
             {R"({"epochs": )", "JSON"},
         }) {
        std::ofstream(bad) << text;
        const CommandResult e = run("rbm train --data " + dir_.string() + " --pcd 2 --config " + bad + " --out " + path("no"));
        EXPECT_EQ(e.status, 2) << text << ": " << e.err;
        EXPECT_NE(e.err.find(named), std::string::npos) << text << ": " << e.err;
    }
    EXPECT_FALSE(fs::exists(path("no")));
    EXPECT_EQ(run("rbm train --config " + config + " --config-from " + first).status, 2);
    EXPECT_EQ(run("rbm train --config-from " + config).status, 1);  // not a checkpoint
}

// --log FILE: a JSON object per epoch, flushed as written; a resumed run appends;
// ebm plot FILE draws it.
TEST_F(EbmCommand, LogHasAnEpochPerLineAndPlots) {
    const std::string log = path("jem.jsonl"), model = path("log.safetensors");
    const std::string common = "jem train --data " + dir_.string() + " --widths 16,8,2 --batch 20 --sgld-steps 2 "
                               "--buffer 50 --valid 100 --train-limit 160 --seed 4 --log " + log;
    ASSERT_EQ(run(common + " --epochs 3 --out " + model).status, 0);
    ASSERT_EQ(run(common + " --epochs 1 --resume " + model + " --out " + path("more.safetensors")).status, 0);
    std::ifstream in(log);
    std::vector<nlohmann::json> epochs;
    for (std::string line; std::getline(in, line);) epochs.push_back(nlohmann::json::parse(line));
    ASSERT_EQ(epochs.size(), 4u);
    for (const char* key : {"epoch", "iterations", "loss", "cross_entropy", "generative", "energy_data", "energy_sample",
                            "train_accuracy", "valid_accuracy", "seconds"}) {
        EXPECT_TRUE(epochs[0].contains(key)) << key;
    }
    EXPECT_EQ(epochs[0]["epoch"], 1);
    EXPECT_EQ(epochs[2]["epoch"], 3);
    EXPECT_NEAR(epochs[1]["generative"].get<double>(),
                epochs[1]["energy_data"].get<double>() - epochs[1]["energy_sample"].get<double>(), 1e-9);
    const CommandResult plot = run("plot " + log + " --out " + path("curves.png"));
    ASSERT_EQ(plot.status, 0) << plot.err;
    const test::Image png = test::read_png(path("curves.png"));
    EXPECT_EQ(png.width, 900);
    EXPECT_EQ(png.height, 3 * 260);
    // An RBM log: pseudo-log-likelihood and learning rate, two panels; the default output name.
    const std::string rbm_log = path("rbm.jsonl");
    ASSERT_EQ(run("rbm train --data " + dir_.string() + " --hidden 3 --batch 10 --epochs 2 --log " + rbm_log +
                  " --out " + path("rbm.safetensors")).status, 0);
    ASSERT_EQ(run("plot " + rbm_log).status, 0);
    EXPECT_EQ(test::read_png(rbm_log + ".png").height, 2 * 260);
    std::ofstream(path("junk.jsonl")) << "{\"epoch\": 1}\nnot json\n";
    const CommandResult junk = run("plot " + path("junk.jsonl"));
    EXPECT_EQ(junk.status, 1);
    EXPECT_NE(junk.err.find("line 2"), std::string::npos) << junk.err;
}

#ifdef MPIEXEC
// mpirun -np 2 ebm ... train: one model trained on two ranks, the RBM the one a single
// process trains (within float rounding); rank 0 alone writes and prints; a batch that
// does not split is a usage error.
TEST_F(EbmCommand, MpirunTrainsOneModelOnTwoRanks) {
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    const std::string mpirun = std::string(MPIEXEC) + " -np 2 --oversubscribe";
    const std::string rbm = "rbm train --backend cpu --data " + dir_.string() + " --hidden 6 --epochs 2 --lr 0.1 --seed 4 --json";
    const CommandResult two = run(rbm + " --batch 20 --out " + path("two.safetensors"), mpirun);
    ASSERT_EQ(two.status, 0) << two.err;
    EXPECT_EQ(json_number(two.out, "ranks"), 2) << two.out;
    EXPECT_NE(two.err.find("2 ranks of batch 10"), std::string::npos) << two.err;
    EXPECT_EQ(two.out.find('\n'), two.out.size() - 1) << "one JSON line, rank 0's: " << two.out;
    const CommandResult one = run(rbm + " --batch 20 --out " + path("one.safetensors"));
    ASSERT_EQ(one.status, 0) << one.err;
    EXPECT_EQ(json_number(one.out, "ranks"), 1);
    const Rbm a = read_rbm(load_safetensors(path("two.safetensors")), Device::Host);
    const Rbm b = read_rbm(load_safetensors(path("one.safetensors")), Device::Host);
    for (int t = 0; t < 3; ++t) {
        const std::vector<float> x = a.parameters()[t].to_vector<float>(), y = b.parameters()[t].to_vector<float>();
        for (std::size_t i = 0; i < x.size(); ++i) ASSERT_NEAR(x[i], y[i], 1e-4) << "parameter " << t << ", element " << i;
    }
    const CommandResult odd = run(rbm + " --batch 15 --out " + path("odd.safetensors"), mpirun);
    EXPECT_NE(odd.status, 0);
    EXPECT_NE(odd.err.find("--batch 15 must be a multiple of the 2 ranks"), std::string::npos) << odd.err;

    const CommandResult jem = run("jem train --backend cpu --data " + dir_.string() +
                                      " --widths 16,8,2 --epochs 2 --batch 20 --lr 0.01 --buffer 100 --sgld-steps 2 --valid 0 --json"
                                      " --out " + path("jem.safetensors"),
                                  mpirun);
    ASSERT_EQ(jem.status, 0) << jem.err;
    EXPECT_EQ(json_number(jem.out, "ranks"), 2) << jem.out;
    EXPECT_GT(json_number(jem.out, "test_accuracy"), 0.8) << jem.out;  // chance is 0.5
    EXPECT_EQ(load_safetensors(path("jem.safetensors")).at("replay_buffer").shape(), (Shape{100, 16}));
}
#endif

}  // namespace
}  // namespace ebmkit
