// ebm-bench: times the registered workloads (bench/workloads.hpp) for every variant
// the library has and writes one JSON record per (workload, shape, variant)
// (DESIGN.md section 7).
//
//   ebm-bench [--workload NAME|all] [--variant cpu|cuda|all] [--data DIR]
//             [--shape ROWSxCOLS]... [--chains N]... [--steps T] [--reps N] [--json FILE]
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

#include "bench/workloads.hpp"

namespace ebmkit::bench {
namespace {

std::string workload_names() {
    std::string names;
    for (const Workload& w : workloads()) names += std::string(w.name) + "|";
    return names + "all";
}

[[noreturn]] void usage(const std::string& problem) {
    std::cerr << "ebm-bench: " << problem << "\n"
              << "usage: ebm-bench [--workload " << workload_names() << "]\n"
              << "                 [--variant cpu|cuda|all]\n"
              << "                 [--shape ROWSxCOLS]... [--chains N]... [--steps T] [--reps N] [--json FILE]\n"
              << "                 [--data DIR]   (Fashion-MNIST for rbm_pcd_epoch)\n";
    std::exit(2);
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(arg + " needs a value");
            return argv[++i];
        };
        if (arg == "--workload") o.workload = value();
        else if (arg == "--variant") o.variant = value();
        else if (arg == "--reps") o.reps = std::stoi(value());
        else if (arg == "--steps") o.steps = std::stoll(value());
        else if (arg == "--chains") o.chains.push_back(std::stoll(value()));
        else if (arg == "--json") o.json = value();
        else if (arg == "--data") o.data = value();
        else if (arg == "--shape") {
            const std::string s = value();
            long long r = 0, c = 0;
            if (std::sscanf(s.c_str(), "%lldx%lld", &r, &c) != 2 || r < 1 || c < 1) usage("bad shape " + s);
            o.shapes.emplace_back(r, c);
        } else usage("unknown argument " + arg);
    }
    bool known = o.workload == "all";
    for (const Workload& w : workloads()) known |= o.workload == w.name;
    if (!known) usage("unknown workload " + o.workload);
    if (o.variant != "all" && o.variant != "cpu" && o.variant != "cuda") usage("unknown variant " + o.variant);
    if (o.reps < 1 || o.steps < 1) usage("--reps and --steps must be >= 1");
    for (std::int64_t c : o.chains) {
        if (c < 1) usage("--chains must be >= 1");
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
    if (o.variant != "cuda") variants.push_back({"cpu-reference", Backend::Cpu, MlpPath::Auto});
    if (o.variant != "cpu") {
        if (cuda_available()) {
            variants.push_back({"cuda-fused", Backend::Cuda, MlpPath::Auto});
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
    std::printf("%-20s %-34s %-14s %10s %10s %16s %9s\n", "workload", "shape", "variant", "median ms", "min ms",
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
    if (!o.json.empty()) {
        std::ofstream out(o.json);
        if (!out) usage("cannot write " + o.json);
        write_json(out, records);
        std::printf("wrote %zu records to %s\n", records.size(), o.json.c_str());
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
