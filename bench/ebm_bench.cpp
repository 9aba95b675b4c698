// ebm-bench: times named workloads for every variant the library has and writes
// one JSON record per (workload, shape, variant) (DESIGN.md section 7).
//
//   ebm-bench [--workload logsumexp|logsumexp_backward|rbm_gibbs|rbm_pcd_epoch|langevin|mlp|jem|all] [--variant cpu|cuda|all]
//             [--data DIR]
//             [--shape ROWSxCOLS]... [--chains N]... [--steps T] [--reps N] [--json FILE]
//
// Bandwidth-bound workloads (LogSumExp) report bytes moved against the measured
// device copy bandwidth; compute-bound ones (RBM Gibbs sweeps, FP32) report flops
// against a measured cuBLAS FP32 SGEMM. rbm_pcd_epoch is one PCD-1 epoch on
// binarised Fashion-MNIST (60000 images, batch 100, 784 x 500), the whole trainer.
// langevin is SGLD chains (20 and 60 steps) on the 784-256-256-10 and
// 64-512-512-512-10 ELU energies, in Fp32, Tf32 and Bf16, against the measured GEMM
// of the same precision. mlp is the energy, the score (grad_x E) and the parameter
// gradient of both networks over batches 256 .. 65536; jem one JemTrainer iteration
// (batch 64 and 256, 20 SGLD steps, 784-256-256-10). On a GPU the MLP-based
// workloads run twice: cuda-fused (the fused kernels where the model fits) and
// cuda-unfused (cuBLAS + elementwise kernels).
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <map>
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
    std::vector<std::int64_t> chains;
    std::int64_t steps = 10;
    int reps = 20;
    std::string json;
    std::string data = default_fashion_mnist_dir();  // rbm_pcd_epoch's training images
};

// The limit a workload is measured against.
struct Roofline {
    std::string kind;  // "bandwidth" (bytes/s) or "fp32_gemm" (flop/s)
    double rate;       // 0 when not measured (CPU)
};

struct Record {
    std::string workload, shape, variant, device;
    Stats stats;
    double work;        // bytes or flops per run, as the roofline counts them
    double items;       // rows or chain-sweeps per run
    std::string item_name;
    Roofline roofline;

    double achieved() const { return work / (stats.median_ms * 1e-3); }
    double fraction() const { return roofline.rate > 0 ? achieved() / roofline.rate : 0.0; }
};

[[noreturn]] void usage(const std::string& problem) {
    std::cerr << "ebm-bench: " << problem << "\n"
              << "usage: ebm-bench [--workload logsumexp|logsumexp_backward|rbm_gibbs|rbm_pcd_epoch|langevin|mlp|jem|all]\n"
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
    if (o.workload != "all" && o.workload != "logsumexp" && o.workload != "logsumexp_backward" &&
        o.workload != "rbm_gibbs" && o.workload != "rbm_pcd_epoch" && o.workload != "langevin" &&
        o.workload != "mlp" && o.workload != "jem") {
        usage("unknown workload " + o.workload);
    }
    if (o.variant != "all" && o.variant != "cpu" && o.variant != "cuda") usage("unknown variant " + o.variant);
    if (o.reps < 1 || o.steps < 1) usage("--reps and --steps must be >= 1");
    for (std::int64_t c : o.chains) {
        if (c < 1) usage("--chains must be >= 1");
    }
    if (o.shapes.empty()) o.shapes = {{4096, 10}, {4096, 1000}, {1024, 32768}, {16, 1 << 20}};
    if (o.chains.empty()) o.chains = {256, 1024, 4096, 16384};
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
                     int reps, const Roofline& roofline) {
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
    return {backward ? "logsumexp_backward" : "logsumexp",
            std::to_string(rows) + "x" + std::to_string(cols),
            variant,
            device_name(ctx),
            s,
            bytes,
            static_cast<double>(rows),
            "rows",
            roofline};
}

// `steps` block-Gibbs sweeps of `chains` chains on a 784 x 500 RBM per run:
// 2 * 2 * D * M flops per chain-sweep (the two conditionals' products).
Record run_rbm_gibbs(Context& ctx, const std::string& variant, std::int64_t chains, std::int64_t steps, int reps,
                     const Roofline& roofline) {
    const std::int64_t d = 784, m = 500;
    Rbm host(d, m);
    host.init_normal(1, 0.05f);
    const Rbm rbm = host.to(ctx.device());
    Tensor v = Tensor::zeros({chains, d}, DType::F32, ctx.device()), h({chains, m}, DType::F32, ctx.device());
    std::uint32_t step = 0;
    const Stats s = time_runs(
        ctx,
        [&](int) {
            gibbs_chain(ctx, rbm, v, h, step, static_cast<int>(steps));
            step += static_cast<std::uint32_t>(steps);
        },
        1, reps);
    const double sweeps = static_cast<double>(chains * steps);
    return {"rbm_gibbs",
            std::to_string(chains) + " chains x " + std::to_string(steps) + " steps, 784x500 " +
                to_string(ctx.precision()),
            variant,
            device_name(ctx),
            s,
            4.0 * d * m * sweeps,
            sweeps,
            "chain_sweeps",
            roofline};
}

// One epoch of RbmTrainer (PCD-1, batch 100) over `data`: per image (8 + 4k) D M
// flops (data and chain statistics, k sweeps, two outer products), k = 1.
Record run_rbm_pcd_epoch(Context& ctx, const std::string& variant, const Tensor& data, int reps,
                         const Roofline& roofline) {
    const std::int64_t d = data.dim(1), m = 500;
    Rbm rbm(d, m, ctx.device());
    rbm.init_normal(1, 0.01f);
    RbmTrainOptions o;
    o.batch = 100;
    RbmTrainer trainer(ctx, rbm, o);
    const Stats s = time_runs(ctx, [&](int) { trainer.train_epoch(data); }, 1, reps);
    const double images = static_cast<double>(data.dim(0));
    return {"rbm_pcd_epoch",
            std::to_string(data.dim(0)) + " images, batch 100, 784x500, PCD-1",
            variant,
            device_name(ctx),
            s,
            12.0 * d * m * images,
            images,
            "images",
            roofline};
}

// Multiply-adds per row of a network, and its name "784-256-256-10".
std::pair<double, std::string> network(const std::vector<std::int64_t>& widths) {
    double macs = 0;
    std::string name;
    for (std::size_t l = 0; l + 1 < widths.size(); ++l) {
        macs += static_cast<double>(widths[l]) * widths[l + 1];
        name += std::to_string(widths[l]) + "-";
    }
    return {macs, name + std::to_string(widths.back())};
}

MlpEnergy bench_model(Context& ctx, const std::vector<std::int64_t>& widths) {
    MlpEnergy host(widths, Activation::elu());
    host.init_uniform(1);
    return host.to(ctx.device());
}

Tensor bench_input(Context& ctx, std::int64_t rows, std::int64_t cols) {
    Tensor h({rows, cols});
    for (std::int64_t i = 0; i < h.numel(); ++i) h.data<float>()[i] = static_cast<float>((i * 2654435761u) % 2000) * 1e-3f - 1;
    return h.to(ctx.device());
}

// `steps` SGLD steps (alpha 1, sigma 0.01, clamp) of `chains` chains: each step a
// forward and an input-gradient pass, 4 flops per multiply-add of the network.
Record run_langevin(Context& ctx, const std::string& variant, const std::vector<std::int64_t>& widths,
                    std::int64_t chains, std::uint32_t steps, int reps, const Roofline& roofline) {
    const MlpEnergy model = bench_model(ctx, widths);
    Tensor x = bench_input(ctx, chains, widths.front());
    LangevinParams p;
    p.clamp = true;
    std::uint32_t step = 0;
    const Stats s = time_runs(
        ctx,
        [&](int) {
            langevin_chain(ctx, model, x, p, step, steps);
            step += steps;
        },
        1, reps);
    const auto [macs, net] = network(widths);
    const double chain_steps = static_cast<double>(chains) * steps;
    return {"langevin",
            std::to_string(chains) + " chains x " + std::to_string(steps) + " steps, " + net + " " +
                to_string(ctx.precision()),
            variant,
            device_name(ctx),
            s,
            4.0 * macs * chain_steps,
            chain_steps,
            "chain_steps",
            roofline};
}

// op: "energy" (2 flops per multiply-add), "score" (forward + input gradient, 4) or
// "param_grad" (forward, activation and weight gradients, 6).
Record run_mlp(Context& ctx, const std::string& variant, const std::vector<std::int64_t>& widths, const std::string& op,
               std::int64_t rows, int reps, const Roofline& roofline) {
    const MlpEnergy model = bench_model(ctx, widths);
    MlpEnergy grad = model.zeros_like();
    const Tensor x = bench_input(ctx, rows, widths.front());
    Tensor e({rows}, DType::F32, ctx.device()), g({rows, widths.front()}, DType::F32, ctx.device());
    const Tensor dlogits = bench_input(ctx, rows, widths.back());
    const Stats s = time_runs(
        ctx,
        [&](int) {
            if (op == "energy") energy(ctx, model, x, e);
            else if (op == "score") energy_grad_x(ctx, model, x, g);
            else param_grad(ctx, model, x, dlogits, grad);
        },
        2, reps);
    const auto [macs, name] = network(widths);
    const double per_mac = op == "energy" ? 2.0 : op == "score" ? 4.0 : 6.0;
    return {"mlp_" + op, std::to_string(rows) + " rows, " + name + " " + to_string(ctx.precision()), variant,
            device_name(ctx), s, per_mac * macs * static_cast<double>(rows), static_cast<double>(rows), "rows",
            roofline};
}

// One JemTrainer iteration: the data pass, 20 SGLD steps from the replay buffer,
// the sample pass, both parameter gradients and the Adamax step.
Record run_jem(Context& ctx, const std::string& variant, std::int64_t batch, int reps, const Roofline& roofline) {
    const std::vector<std::int64_t> widths = {784, 256, 256, 10};
    MlpEnergy model = bench_model(ctx, widths);
    JemOptions o;
    o.batch = batch;
    JemTrainer trainer(ctx, model, o);
    const Tensor x = bench_input(ctx, batch, 784);
    std::vector<std::int32_t> y(static_cast<std::size_t>(batch));
    for (std::int64_t i = 0; i < batch; ++i) y[i] = static_cast<std::int32_t>(i % 10);
    const Tensor labels = Tensor::from(y, {batch}).to(ctx.device());
    const Stats s = time_runs(ctx, [&](int) { trainer.step(x, labels); }, 1, reps);
    const auto [macs, name] = network(widths);
    // 20 score passes (4) on the samples, data and sample param_grad (6 each) + logits (2 each).
    const double flops = (20 * 4.0 + 2 * 6.0 + 2 * 2.0) * macs * static_cast<double>(batch);
    return {"jem_iteration", "batch " + std::to_string(batch) + ", 20 SGLD steps, " + name, variant, device_name(ctx),
            s, flops, 1.0, "iterations", roofline};
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
        out << "  {\"workload\": \"" << r.workload << "\", \"shape\": \"" << r.shape << "\", \"variant\": \""
            << r.variant << "\", \"device\": \"" << r.device << "\", \"git_revision\": \"" << EBMKIT_GIT_REVISION
            << "\", \"date\": \"" << iso_date() << "\", \"median_ms\": " << r.stats.median_ms
            << ", \"min_ms\": " << r.stats.min_ms << ", \"max_ms\": " << r.stats.max_ms << ", \"" << r.item_name
            << "_per_s\": " << r.items / (r.stats.median_ms * 1e-3) << ", \"roofline\": \"" << r.roofline.kind
            << "\", \"achieved\": " << r.achieved() << ", \"roofline_rate\": " << r.roofline.rate
            << ", \"roofline_fraction\": " << r.fraction() << "}" << (i + 1 < records.size() ? ",\n" : "\n");
    }
    out << "]\n";
}

void print(const Record& r) {
    const bool bandwidth = r.roofline.kind == "bandwidth";
    const std::string fraction =
        r.roofline.rate > 0 ? std::to_string(static_cast<int>(100.0 * r.fraction() + 0.5)) + "%" : "n/a";
    std::printf("%-20s %-34s %-14s %10.4f %10.4f %9.1f %-6s %9s\n", r.workload.c_str(), r.shape.c_str(),
                r.variant.c_str(), r.stats.median_ms, r.stats.min_ms, r.achieved() / 1e9, bandwidth ? "GB/s" : "GF/s",
                fraction.c_str());
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
    auto wanted = [&](const char* name) { return o.workload == "all" || o.workload == name; };
    std::vector<Record> records;
    Tensor fashion_mnist;  // loaded on first use
    std::printf("%-20s %-34s %-14s %10s %10s %16s %9s\n", "workload", "shape", "variant", "median ms", "min ms",
                "achieved", "roofline");
    const std::vector<std::vector<std::int64_t>> nets = {{784, 256, 256, 10}, {64, 512, 512, 512, 10}};
    const Precision precisions[] = {Precision::Fp32, Precision::Tf32, Precision::Bf16};
    std::map<Backend, std::vector<Roofline>> gemm_rates;
    for (const auto& [variant, backend, path] : variants) {
        Context ctx(backend);
        ctx.set_mlp_path(path);
        const bool gpu = backend == Backend::Cuda, mlp_only = path == MlpPath::Unfused;
        const bool compute_bound =
            wanted("rbm_gibbs") || wanted("rbm_pcd_epoch") || wanted("langevin") || wanted("mlp") || wanted("jem");
        std::vector<Roofline>& gemm = gemm_rates[backend];  // per precision, measured for a backend's first variant
        if (gemm.empty()) {
            for (Precision p : precisions) {
                const bool measured = compute_bound && (gpu || p == Precision::Fp32);
                gemm.push_back({std::string(to_string(p)) + "_gemm", measured ? measured_gemm_rate(ctx, p) : 0.0});
            }
        }
        const Roofline& fp32 = gemm[0];
        const Roofline bandwidth{"bandwidth", mlp_only ? 0.0 : measured_copy_bandwidth(ctx)};
        for (bool backward : {false, true}) {
            if (mlp_only || !wanted(backward ? "logsumexp_backward" : "logsumexp")) continue;
            for (auto [rows, cols] : o.shapes) {
                records.push_back(run_logsumexp(ctx, variant, rows, cols, backward, o.reps, bandwidth));
                print(records.back());
            }
        }
        if (!mlp_only && wanted("rbm_gibbs")) {
            for (std::size_t pi = 0; pi < std::size(precisions); ++pi) {
                if (!gpu && precisions[pi] != Precision::Fp32) continue;
                ctx.set_precision(precisions[pi]);
                for (std::int64_t chains : o.chains) {
                    // The CPU reference would take minutes on the large configurations.
                    if (!gpu && chains * o.steps > 10240) continue;
                    records.push_back(run_rbm_gibbs(ctx, variant, chains, o.steps, gpu ? o.reps : 3, gemm[pi]));
                    print(records.back());
                }
            }
            ctx.set_precision(Precision::Fp32);
        }
        if (wanted("langevin")) {
            for (std::size_t pi = 0; pi < std::size(precisions); ++pi) {
                if (!gpu && precisions[pi] != Precision::Fp32) continue;
                ctx.set_precision(precisions[pi]);
                for (const auto& net : nets) {
                    for (std::uint32_t steps : {20u, 60u}) {
                        for (std::int64_t chains : o.chains) {
                            if (!gpu && (chains > 256 || steps > 20)) continue;  // minutes on the CPU otherwise
                            records.push_back(run_langevin(ctx, variant, net, chains, steps, gpu ? 5 : 1, gemm[pi]));
                            print(records.back());
                        }
                    }
                }
            }
            ctx.set_precision(Precision::Fp32);
        }
        if (wanted("mlp")) {
            for (std::size_t pi = 0; pi < std::size(precisions); ++pi) {
                if (!gpu && precisions[pi] != Precision::Fp32) continue;
                ctx.set_precision(precisions[pi]);
                for (const auto& net : nets) {
                    for (const char* op : {"energy", "score", "param_grad"}) {
                        for (std::int64_t rows : {256, 1024, 4096, 16384, 65536}) {
                            if (!gpu && rows > 4096) continue;
                            records.push_back(run_mlp(ctx, variant, net, op, rows, gpu ? o.reps : 3, gemm[pi]));
                            print(records.back());
                        }
                    }
                }
            }
            ctx.set_precision(Precision::Fp32);
        }
        if (wanted("jem")) {
            for (std::int64_t batch : {64, 256}) {
                records.push_back(run_jem(ctx, variant, batch, gpu ? 10 : 2, fp32));
                print(records.back());
            }
        }
        if (!mlp_only && wanted("rbm_pcd_epoch")) {
            if (fashion_mnist.empty()) {
                try {
                    fashion_mnist = binarize_threshold(load_fashion_mnist(o.data, "train").images);
                } catch (const Error& e) {
                    std::cerr << "ebm-bench: rbm_pcd_epoch skipped: " << e.what() << "\n";
                }
            }
            if (!fashion_mnist.empty()) {
                records.push_back(run_rbm_pcd_epoch(ctx, variant, fashion_mnist, gpu ? 3 : 1, fp32));
                print(records.back());
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
