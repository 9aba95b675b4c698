// ebm-bench: times the registered workloads (bench/workloads.hpp) for every variant
// the library has and writes one JSON record per (workload, shape, variant)
// (docs/ARCHITECTURE.md §11).
//
//   ebm-bench [--workload NAME|all] [--variant cpu|cuda|all] [--data DIR]
//             [--shape ROWSxCOLS]... [--chains N]... [--steps T] [--reps N] [--json FILE]
//             [--plots DIR [--records FILE]... [--plot-only]]
//
// Bandwidth-bound workloads (LogSumExp) report bytes moved against the measured
// device copy bandwidth; compute-bound ones against a measured cuBLAS GEMM of their
// precision. On a GPU the workloads built on the MLP run twice: cuda-fused (the fused
// kernels where the model fits) and cuda-unfused (cuBLAS + elementwise kernels).
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "bench/workloads.hpp"
#include "cli_checks.hpp"
#include "plot/bench_plot.hpp"

namespace ebmkit::bench {
namespace {

// The command line (CLI11): every option names itself when its value is wrong.
Options parse(int argc, char** argv) {
    Options o;
    std::vector<std::string> shapes;
    CLI::App app("ebm-bench: times ebmkit's workloads for every variant the build has", "ebm-bench");
    std::vector<std::string> names = {"all"};
    for (const Workload& w : workloads()) names.push_back(w.name);
    app.add_option("--workload", o.workload, "Workload to time")->check(CLI::IsMember(names))->capture_default_str();
    app.add_option("--variant", o.variant, "Variants: cpu, cuda or all")
        ->check(CLI::IsMember({"cpu", "cuda", "all"}))
        ->capture_default_str();
    app.add_option("--shape", shapes, "ROWSxCOLS for the LogSumExp workloads (repeatable)")
        ->check(CLI::Validator(
            [](std::string& s) -> std::string {
                long long r = 0, c = 0;
                char extra = 0;
                return std::sscanf(s.c_str(), "%lldx%lld%c", &r, &c, &extra) == 2 && r > 0 && c > 0
                           ? ""
                           : "needs ROWSxCOLS with both positive, got '" + s + "'";
            },
            "ROWSxCOLS"));
    app.add_option("--chains", o.chains, "Chain counts for the chain workloads (repeatable)")
        ->check(ebm::at_least(1));
    app.add_option("--steps", o.steps, "Steps per chain")->check(ebm::at_least(1))
        ->capture_default_str();
    app.add_option("--reps", o.reps, "Timed repetitions")->check(ebm::at_least(1))->capture_default_str();
    app.add_option("--json", o.json, "Write the records to FILE");
    app.add_option("--plots", o.plots, "Draw a PNG per workload into DIR (with the --records files' records)");
    app.add_option("--records", o.records, "More records to plot: the peers' (bench/peers/*.py --json) or an earlier run's")
        ->check(CLI::ExistingFile);
    app.add_flag("--plot-only", o.plot_only, "Time nothing: plot the --records files into --plots");
    app.add_option("--data", o.data, "Fashion-MNIST folder (rbm_pcd_epoch's training images)")->capture_default_str();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        std::exit(app.exit(e) == 0 ? 0 : 2);
    }
    for (const std::string& s : shapes) {
        long long r = 0, c = 0;
        std::sscanf(s.c_str(), "%lldx%lld", &r, &c);
        o.shapes.emplace_back(r, c);
    }
    if (o.plot_only && (o.plots.empty() || o.records.empty())) {
        std::fprintf(stderr, "ebm-bench: --plot-only needs --plots DIR and --records FILE\n");
        std::exit(2);
    }
    if (o.shapes.empty()) o.shapes = {{4096, 10}, {4096, 1000}, {1024, 32768}, {16, 1 << 20}};
    if (o.chains.empty()) o.chains = {256, 1024, 4096, 16384};
    return o;
}

int run(int argc, char** argv) {
    const Options o = parse(argc, argv);
    // cuda-unfused is the cuBLAS + elementwise MLP path, timed on the workloads built on the MLP.
    struct Variant {
        std::string name;
        Backend backend;
        MlpPath path;
    };
    std::vector<Variant> variants;
    if (o.plot_only) {
        // nothing timed: only the --records files are drawn below
    } else if (o.variant != "cuda") variants.push_back({"cpu-reference", Backend::Cpu, MlpPath::Auto});
    if (!o.plot_only && o.variant != "cpu") {
        if (cuda_available()) {
            variants.push_back({"cuda-fused", Backend::Cuda, MlpPath::Fused});
            variants.push_back({"cuda-unfused", Backend::Cuda, MlpPath::Unfused});
        } else {
            std::cerr << "ebm-bench: no CUDA device; timing the CPU reference only\n";
        }
    }
    std::vector<const Workload*> chosen;
    for (const Workload& w : workloads()) {
        if (o.workload == "all" || o.workload == w.name) chosen.push_back(&w);
    }
    bool compute_bound = false;
    for (const Workload* w : chosen) compute_bound |= w->compute;
    std::vector<Record> records;
    if (!o.plot_only) std::printf("%-20s %-34s %-14s %10s %10s %16s %9s\n", "workload", "shape", "variant", "median ms", "min ms",
                "achieved", "roofline");
    std::map<Backend, std::vector<Roofline>> gemm_rates;  // per precision, measured for a backend's first variant
    for (const auto& [variant, backend, path] : variants) {
        Context ctx(backend);
        ctx.set_mlp_path(path);
        const bool gpu = backend == Backend::Cuda, unfused = path == MlpPath::Unfused;
        std::vector<Roofline>& gemm = gemm_rates[backend];
        if (gemm.empty()) {
            for (Precision p : {Precision::Fp32, Precision::Tf32, Precision::Bf16}) {
                const bool measured = compute_bound && (gpu || p == Precision::Fp32);
                gemm.push_back({std::string(to_string(p)) + "_gemm", measured ? measured_gemm_rate(ctx, p) : 0.0});
            }
        }
        Setting setting{ctx, variant, o, gemm, {"bandwidth", unfused ? 0.0 : measured_copy_bandwidth(ctx)}};
        for (const Workload* w : chosen) {
            if (unfused && !w->on_mlp) continue;
            w->run(setting, [&](Record r) {
                print(r);
                records.push_back(std::move(r));
            });
        }
    }
    std::vector<nlohmann::json> all;
    nlohmann::ordered_json array = nlohmann::ordered_json::array();
    for (const Record& r : records) {
        array.push_back(to_json(r));
        all.push_back(nlohmann::json::parse(array.back().dump()));
    }
    if (!o.json.empty()) {
        std::ofstream out(o.json);
        if (!out) throw Error("cannot write " + o.json);
        out << array.dump(1) << "\n";
        std::printf("wrote %zu records to %s\n", records.size(), o.json.c_str());
    }
    if (!o.plots.empty()) {
        for (const std::string& file : o.records) {
            for (auto& r : ebm::plot::read_records(file)) all.push_back(std::move(r));
        }
        std::string device = records.empty() ? "" : records.front().device;
        if (device.empty() && !all.empty() && all.front().contains("device")) device = all.front()["device"].get<std::string>();
        for (const std::string& png : ebm::plot::plot_bench(all, o.plots, device)) std::printf("wrote %s\n", png.c_str());
    }
    return 0;
}

}  // namespace
}  // namespace ebmkit::bench

int main(int argc, char** argv) {
    try {
        return ebmkit::bench::run(argc, argv);
    } catch (const ebmkit::Error& e) {
        std::cerr << "ebm-bench: " << e.what() << "\n";
        return 1;
    }
}
