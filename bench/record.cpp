#include <cstdio>
#include <ctime>
#include <fstream>

#if EBMKIT_WITH_CUDA
#include <cuda_runtime_api.h>
#endif

#include "bench/workloads.hpp"


namespace ebmkit::bench {

std::vector<Precision> Setting::precisions() const {
    if (gpu()) return {Precision::Fp32, Precision::Tf32, Precision::Bf16};
    return {Precision::Fp32};
}

void Setting::each_tile_plan(const std::vector<TilePlan>& plans, const std::function<void()>& run) {
    run();
    if (!gpu()) return;
    for (TilePlan plan : plans) {
        ctx.set_tile_plan(plan);
        run();
    }
    ctx.set_tile_plan(TilePlan::Auto);
}

std::string Setting::tile_plan_suffix() const {
    return ctx.tile_plan() == TilePlan::Auto ? std::string() : std::string(", ") + to_string(ctx.tile_plan());
}

const std::vector<Workload>& workloads() {
    static const std::vector<Workload> all = [] {
        std::vector<Workload> w;
        logsumexp_workloads(w);
        rbm_workloads(w);
        rbm_eval_workloads(w);
        langevin_workloads(w);
        sampler_workloads(w);
        sample_workloads(w);
        mlp_workloads(w);
        optim_workloads(w);
        jem_workloads(w);
        score_workloads(w);
        return w;
    }();
    return all;
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

namespace {
std::string iso_date() {
    char buf[32];
    const std::time_t t = std::time(nullptr);
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    return buf;
}
}  // namespace

nlohmann::ordered_json to_json(const Record& r) {
    return {{"workload", r.workload},
            {"shape", r.shape},
            {"variant", r.variant},
            {"device", r.device},
            {"git_revision", build_info().revision},
            {"date", iso_date()},
            {"median_ms", r.stats.median_ms},
            {"min_ms", r.stats.min_ms},
            {"max_ms", r.stats.max_ms},
            {r.item_name + "_per_s", r.items / (r.stats.median_ms * 1e-3)},
            {"roofline", r.roofline.kind},
            {"achieved", r.achieved()},
            {"roofline_rate", r.roofline.rate},
            {"roofline_fraction", r.fraction()}};
}

void print(const Record& r) {
    if (r.roofline.kind == "none") {  // no ceiling to measure against: the items per second
        std::printf("%-20s %-34s %-14s %10.4f %10.4f %9.3g %s/s\n", r.workload.c_str(), r.shape.c_str(), r.variant.c_str(),
                    r.stats.median_ms, r.stats.min_ms, r.items / (r.stats.median_ms * 1e-3), r.item_name.c_str());
        return;
    }
    const bool bandwidth = r.roofline.kind == "bandwidth";
    const std::string fraction =
        r.roofline.rate > 0 ? std::to_string(static_cast<int>(100.0 * r.fraction() + 0.5)) + "%" : "n/a";
    std::printf("%-20s %-34s %-14s %10.4f %10.4f %9.1f %-6s %9s\n", r.workload.c_str(), r.shape.c_str(),
                r.variant.c_str(), r.stats.median_ms, r.stats.min_ms, r.achieved() / 1e9, bandwidth ? "GB/s" : "GF/s",
                fraction.c_str());
}

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

}  // namespace ebmkit::bench
