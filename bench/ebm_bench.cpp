// ebm-bench: times named workloads for every variant the library has and writes
// one JSON record per (workload, shape, variant) (DESIGN.md section 7).
//
//   ebm-bench [--workload logsumexp|logsumexp_backward|all] [--variant cpu|cuda|all]
//             [--shape ROWSxCOLS]... [--reps N] [--json FILE]
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#if EBMKIT_WITH_CUDA
#include <cuda_runtime_api.h>
#endif

#include "ebmkit/ebmkit.hpp"
#include "timing.hpp"

#ifndef EBMKIT_GIT_REVISION
#define EBMKIT_GIT_REVISION "unknown"
#endif

namespace ebmkit::bench {
namespace {

struct Options {
    std::string workload = "all";
    std::string variant = "all";
    std::vector<std::pair<std::int64_t, std::int64_t>> shapes;
    int reps = 20;
    std::string json;
};

struct Record {
    std::string workload, variant, device;
    std::int64_t rows, cols;
    Stats stats;
    double bytes;              // compulsory traffic per run
    double roofline_bytes_s;   // measured copy bandwidth (0 on the CPU)
};

[[noreturn]] void usage(const std::string& problem) {
    std::cerr << "ebm-bench: " << problem << "\n"
              << "usage: ebm-bench [--workload logsumexp|logsumexp_backward|all] [--variant cpu|cuda|all]\n"
              << "                 [--shape ROWSxCOLS]... [--reps N] [--json FILE]\n";
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
        else if (arg == "--json") o.json = value();
        else if (arg == "--shape") {
            const std::string s = value();
            long long r = 0, c = 0;
            if (std::sscanf(s.c_str(), "%lldx%lld", &r, &c) != 2 || r < 1 || c < 1) usage("bad shape " + s);
            o.shapes.emplace_back(r, c);
        } else usage("unknown argument " + arg);
    }
    if (o.workload != "all" && o.workload != "logsumexp" && o.workload != "logsumexp_backward") {
        usage("unknown workload " + o.workload);
    }
    if (o.variant != "all" && o.variant != "cpu" && o.variant != "cuda") usage("unknown variant " + o.variant);
    if (o.reps < 1) usage("--reps must be >= 1");
    if (o.shapes.empty()) o.shapes = {{4096, 10}, {4096, 1000}, {1024, 32768}, {16, 1 << 20}};
    return o;
}

std::string device_name(Context& ctx) {
#if EBMKIT_WITH_CUDA
    if (ctx.backend() == Backend::Cuda) {
        int dev = 0, driver = 0;
        cudaGetDevice(&dev);
        cudaDriverGetVersion(&driver);
        cudaDeviceProp prop{};
        cudaGetDeviceProperties(&prop, dev);
        return std::string(prop.name) + " (driver " + std::to_string(driver / 1000) + "." +
               std::to_string(driver % 1000 / 10) + ")";
    }
#endif
    (void)ctx;
    std::ifstream cpuinfo("/proc/cpuinfo");
    for (std::string line; std::getline(cpuinfo, line);) {
        if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
    }
    return "cpu";
}

// Enough copies of the input that consecutive runs read from beyond the 50 MB L2.
int rotations(Context& ctx, double bytes) {
    if (ctx.backend() != Backend::Cuda) return 1;
    return static_cast<int>(std::min(1024.0, std::ceil(256e6 / bytes)));
}

Record run_logsumexp(Context& ctx, const std::string& variant, std::int64_t rows, std::int64_t cols, bool backward,
                     int reps, double roofline) {
    const double in_bytes = 4.0 * rows * cols;
    const int copies = rotations(ctx, in_bytes);
    std::vector<Tensor> xs;
    for (int i = 0; i < copies; ++i) {
        Tensor h({rows, cols});
        float* p = h.data<float>();
        for (std::int64_t k = 0; k < rows * cols; ++k) p[k] = static_cast<float>((k * 2654435761u) % 2000) * 0.01f - 10;
        xs.push_back(h.to(ctx.device()));
    }
    Tensor lse({rows}, DType::F32, ctx.device()), dlse = Tensor::zeros({rows}, DType::F32, ctx.device());
    Tensor dx = backward ? Tensor({rows, cols}, DType::F32, ctx.device()) : Tensor();
    logsumexp(ctx, xs[0], lse);
    const Stats s = time_runs(
        ctx,
        [&](int i) {
            const Tensor& x = xs[i % copies];
            if (backward) logsumexp_backward(ctx, x, lse, dlse, dx);
            else logsumexp(ctx, x, lse);
        },
        3, reps);
    // Forward reads x and writes a float per row; backward reads x, writes dx.
    const double bytes = backward ? 2 * in_bytes + 8.0 * rows : in_bytes + 4.0 * rows;
    return {backward ? "logsumexp_backward" : "logsumexp", variant, device_name(ctx), rows, cols, s, bytes, roofline};
}

std::string iso_date() {
    char buf[32];
    const std::time_t t = std::time(nullptr);
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    return buf;
}

void write_json(std::ostream& out, const std::vector<Record>& records) {
    out << "[\n";
    for (std::size_t i = 0; i < records.size(); ++i) {
        const Record& r = records[i];
        const double gbs = r.bytes / (r.stats.median_ms * 1e-3) / 1e9;
        out << "  {\"workload\": \"" << r.workload << "\", \"shape\": [" << r.rows << ", " << r.cols
            << "], \"variant\": \"" << r.variant << "\", \"device\": \"" << r.device << "\", \"git_revision\": \""
            << EBMKIT_GIT_REVISION << "\", \"date\": \"" << iso_date() << "\", \"median_ms\": " << r.stats.median_ms
            << ", \"min_ms\": " << r.stats.min_ms << ", \"max_ms\": " << r.stats.max_ms
            << ", \"rows_per_s\": " << r.rows / (r.stats.median_ms * 1e-3) << ", \"bytes\": " << r.bytes
            << ", \"achieved_gb_s\": " << gbs << ", \"roofline\": \"measured device copy bandwidth\""
            << ", \"roofline_gb_s\": " << r.roofline_bytes_s / 1e9 << ", \"roofline_fraction\": "
            << (r.roofline_bytes_s > 0 ? gbs * 1e9 / r.roofline_bytes_s : 0.0) << "}"
            << (i + 1 < records.size() ? ",\n" : "\n");
    }
    out << "]\n";
}

int run(int argc, char** argv) {
    const Options o = parse(argc, argv);
    std::vector<std::pair<std::string, Backend>> variants;
    if (o.variant != "cuda") variants.emplace_back("cpu-reference", Backend::Cpu);
    if (o.variant != "cpu") {
        if (cuda_available()) variants.emplace_back("cuda-fused", Backend::Cuda);
        else std::cerr << "ebm-bench: no CUDA device; timing the CPU reference only\n";
    }
    std::vector<Record> records;
    std::printf("%-20s %-16s %-14s %10s %10s %10s %9s\n", "workload", "shape", "variant", "median ms", "min ms",
                "GB/s", "roofline");
    for (const auto& [variant, backend] : variants) {
        Context ctx(backend);
        const double roofline = measured_copy_bandwidth(ctx);
        for (bool backward : {false, true}) {
            const char* name = backward ? "logsumexp_backward" : "logsumexp";
            if (o.workload != "all" && o.workload != name) continue;
            for (auto [rows, cols] : o.shapes) {
                const Record r = run_logsumexp(ctx, variant, rows, cols, backward, o.reps, roofline);
                const double gbs = r.bytes / (r.stats.median_ms * 1e-3) / 1e9;
                const std::string fraction =
                    roofline > 0 ? std::to_string(static_cast<int>(100.0 * gbs * 1e9 / roofline + 0.5)) + "%" : "n/a";
                std::printf("%-20s %-16s %-14s %10.4f %10.4f %10.1f %9s\n", r.workload.c_str(),
                            (std::to_string(rows) + "x" + std::to_string(cols)).c_str(), variant.c_str(),
                            r.stats.median_ms, r.stats.min_ms, gbs, fraction.c_str());
                records.push_back(r);
            }
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
