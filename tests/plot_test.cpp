// The plots (tools/plot): training curves and benchmark plots as gnuplot scripts
// with their axes, titles, units and legends, rendered to PNGs of the asked size.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "ebmkit/error.hpp"
#include "png_read.hpp"
#include "plot/bench_plot.hpp"
#include "plot/curves.hpp"
#include "plot/gnuplot.hpp"

namespace ebm::plot {
namespace {

namespace fs = std::filesystem;

std::string temp(const std::string& name) {
    return (fs::temp_directory_path() / ("ebmkit-plot-test-" + std::to_string(::getpid()) + "-" + name)).string();
}

// Pixels that are not the white background, and the distinct colours among them.
std::pair<int, std::size_t> ink(const ebmkit::test::Image& png) {
    int count = 0;
    std::set<std::uint32_t> colours;
    for (int y = 0; y < png.height; ++y) {
        for (int x = 0; x < png.width; ++x) {
            std::uint32_t c = 0;
            for (int k = 0; k < std::min(png.channels, 3); ++k) c = c << 8 | png.at(x, y, k);
            if (c != 0xffffff) ++count, colours.insert(c);
        }
    }
    return {count, colours.size()};
}

std::vector<nlohmann::json> jem_epochs() {
    std::vector<nlohmann::json> epochs;
    for (int e = 1; e <= 5; ++e) {
        epochs.push_back({{"epoch", e}, {"loss", 1.0 / e}, {"cross_entropy", 0.8 / e}, {"generative", 0.1 * e},
                          {"energy_data", -2.0 - e}, {"energy_sample", -1.5 - e}, {"train_accuracy", 0.5 + 0.08 * e},
                          {"valid_accuracy", 0.5 + 0.07 * e}, {"seconds", 10.0 * e}});
    }
    epochs[2]["valid_accuracy"] = nullptr;  // a missing value leaves a gap, nothing else
    return epochs;
}

TEST(Plot, CurvesHaveAxesTitlesUnitsAndLegends) {
    ASSERT_TRUE(available()) << "gnuplot is not installed (tools/setup.sh installs gnuplot-nox)";
    const std::string png = temp("curves.png");
    const std::string script = curves_script(jem_epochs(), png);
    for (const char* text : {"set title 'Loss and its terms'", "set title 'Accuracy'", "set title 'Energies'",
                             "set xlabel 'epoch'", "set ylabel 'nats per example'", "set ylabel 'fraction correct'",
                             "set ylabel 'mean energy (nats)'", "title 'loss'", "title 'cross-entropy'",
                             "title 'E(data) - E(sample)'", "title 'train'", "title 'validation'", "title 'data'",
                             "title 'samples'", "set multiplot layout 3,1", "size 900,780"}) {
        EXPECT_NE(script.find(text), std::string::npos) << text << "\n" << script;
    }
    // No RBM panel without RBM keys.
    EXPECT_EQ(script.find("Pseudo-log-likelihood"), std::string::npos);
    plot_curves(jem_epochs(), png);
    const auto image = ebmkit::test::read_png(png);
    ASSERT_EQ(image.width, 900);
    ASSERT_EQ(image.height, 780);
    const auto [count, colours] = ink(image);
    EXPECT_GT(count, 900 * 780 / 50);  // axes, ticks, text and lines
    EXPECT_GT(colours, 3u);            // a colour per series beside the black text
    fs::remove(png);

    // An RBM run: its two panels only.
    const std::vector<nlohmann::json> rbm = {{{"epoch", 1}, {"lr", 0.05}, {"pseudo_log_likelihood", -160.0}},
                                             {{"epoch", 2}, {"lr", 0.05}, {"pseudo_log_likelihood", -140.0}}};
    const std::string rbm_script = curves_script(rbm, png);
    EXPECT_NE(rbm_script.find("set title 'Pseudo-log-likelihood'"), std::string::npos);
    EXPECT_NE(rbm_script.find("set ylabel 'nats per image'"), std::string::npos);
    EXPECT_NE(rbm_script.find("set multiplot layout 2,1"), std::string::npos);
    EXPECT_EQ(rbm_script.find("Accuracy"), std::string::npos);
    EXPECT_THROW(curves_script({{{"epoch", 1}}}, png), ebmkit::Error);
}

TEST(Plot, GnuplotStringsAndFailures) {
    EXPECT_EQ(quoted("it's"), "'it''s'");
    EXPECT_EQ(datablock("$d", {{1, NAN}, {2, 0.5}}), "$d << EOD\n1 NaN\n2 0.5\nEOD\n");
    // A path with a quote renders where it says.
    const std::string png = temp("it's.png");
    plot_curves(jem_epochs(), png);
    EXPECT_EQ(ebmkit::test::read_png(png).width, 900);
    fs::remove(png);
    try {
        render("plot no_such_function(x)\n");
        ADD_FAILURE() << "a bad script rendered";
    } catch (const ebmkit::Error& e) {
        EXPECT_NE(std::string(e.what()).find("gnuplot failed"), std::string::npos) << e.what();
    }
}

TEST(Plot, BenchPlotsAWorkloadOverTheBatch) {
    EXPECT_EQ(batch_of("4096 rows, 784-256-256-10 fp32"), 4096);
    EXPECT_EQ(batch_of("batch 64, 20 SGLD steps, 784-256-256-10"), 64);
    EXPECT_EQ(batch_of("256 chains x 10 steps, 784x500 bf16"), 256);
    EXPECT_EQ(batch_of("no number"), -1);
    const nlohmann::json a = {{"workload", "mlp_energy"}, {"variant", "cpu-reference"},
                              {"shape", "256 rows, 784-256-256-10 fp32"}, {"median_ms", 1.5}};
    EXPECT_EQ(series_of(a), "cpu-reference: N rows, 784-256-256-10 fp32");
    std::vector<nlohmann::json> records;
    for (int rows : {256, 1024, 4096}) {
        for (const char* variant : {"cpu-reference", "torch-eager"}) {
            records.push_back({{"workload", "mlp_energy"}, {"variant", variant},
                               {"shape", std::to_string(rows) + " rows, 784-256-256-10 fp32"},
                               {"median_ms", rows * (variant[0] == 'c' ? 0.01 : 0.02)}});
        }
    }
    records.push_back({{"workload", "logsumexp"}, {"variant", "cpu-reference"}, {"shape", "4096x10"}, {"median_ms", 0.2}});
    records.push_back({{"workload", "broken"}});  // no timing: left out
    EXPECT_EQ(by_workload(records).size(), 2u);
    const std::string script = bench_script("mlp_energy", by_workload(records)["mlp_energy"], "x.png", "a CPU");
    for (const char* text : {"set title 'mlp_energy (a CPU)'", "set xlabel 'batch N", "set ylabel 'median time per call (ms)'",
                             "set logscale xy", "title 'cpu-reference: N rows, 784-256-256-10 fp32'",
                             "title 'torch-eager: N rows, 784-256-256-10 fp32'"}) {
        EXPECT_NE(script.find(text), std::string::npos) << text << "\n" << script;
    }
    const std::string folder = temp("bench");
    const auto written = plot_bench(records, folder, "a CPU");
    ASSERT_EQ(written.size(), 2u);
    const auto image = ebmkit::test::read_png(folder + "/mlp_energy.png");
    EXPECT_EQ(image.width, 1000);
    EXPECT_EQ(image.height, 420 + 18 * 2);
    EXPECT_GT(ink(image).second, 3u);
    // Results files: an array of records, or an object gathering arrays of them.
    std::ofstream(folder + "/array.json") << nlohmann::json(records).dump();
    std::ofstream(folder + "/object.json") << nlohmann::json{{"what", "runs"}, {"ours", records}, {"peers", records}}.dump();
    EXPECT_EQ(read_records(folder + "/array.json").size(), records.size());
    EXPECT_EQ(read_records(folder + "/object.json").size(), 2 * records.size());
    std::ofstream(folder + "/bad.json") << "[1,";
    EXPECT_THROW(read_records(folder + "/bad.json"), ebmkit::Error);
    fs::remove_all(folder);
}

}  // namespace
}  // namespace ebm::plot
