// The benchmark runner's workloads (ebm-bench, docs/ARCHITECTURE.md §11): one registry,
// one file per kernel family (<family>_bench.cpp: logsumexp, rbm, rbm_eval, mlp,
// langevin, sampler, sample, optim, jem, score), and what every record carries (record.cpp).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/timing.hpp"
#include "ebmkit/ebmkit.hpp"

namespace ebmkit::bench {

struct Options {
    std::string workload = "all";
    std::string variant = "all";
    std::vector<std::pair<std::int64_t, std::int64_t>> shapes;
    std::vector<std::int64_t> chains;
    std::int64_t steps = 10;
    int reps = 20;
    std::string json;
    std::string plots;                 // a folder: a PNG per workload
    std::vector<std::string> records;  // more records to plot (the peers', an earlier run's)
    bool plot_only = false;            // time nothing, plot the records
    std::string data = default_fashion_mnist_dir();  // rbm_pcd_epoch's training images
};

// The limit a workload is measured against.
struct Roofline {
    std::string kind;  // "bandwidth" (bytes/s) or "<precision>_gemm" (flop/s)
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

// Where a workload runs: one variant's context and the limits measured on it.
struct Setting {
    Context& ctx;
    std::string variant;
    const Options& options;
    std::vector<Roofline> gemm;  // per precision: Fp32, Tf32, Bf16
    Roofline bandwidth;
    bool gpu() const { return ctx.backend() == Backend::Cuda; }
    const Roofline& gemm_of(Precision p) const { return gemm[static_cast<std::size_t>(p)]; }
    // The precisions a compute-bound workload is timed in: all three on a GPU, Fp32 on the CPU.
    std::vector<Precision> precisions() const;
    // Calls run() under each tile plan (Context::tile_plan) a workload is timed under: on
    // a GPU the default and each of `plans`, the explicit plans its on-chip kernel has
    // (on_chip_plans, chain_plans; none where no on-chip kernel runs), else the default
    // only; leaves the default set. tile_plan_suffix names an explicit plan in a record's
    // shape (", clusters"), so the default keeps the plain shape bench/table.py compares.
    void each_tile_plan(const std::vector<TilePlan>& plans, const std::function<void()>& run);
    std::string tile_plan_suffix() const;
    // The explicit plans of the RBM chain and the fused MLP kernels, and of the fused
    // Langevin chain (JEM's included), which also has the grid plan.
    static std::vector<TilePlan> on_chip_plans() { return {TilePlan::RowTiles, TilePlan::Clusters}; }
    static std::vector<TilePlan> chain_plans() { return {TilePlan::RowTiles, TilePlan::Clusters, TilePlan::Grid}; }
};

struct Workload {
    const char* name;
    bool on_mlp;     // built on the MLP: also timed on the cuda-unfused variant
    bool compute;    // measured against the GEMM rate (else against bandwidth)
    std::function<void(Setting&, const std::function<void(Record)>&)> run;
};

// Every workload, in the order ebm-bench runs them.
const std::vector<Workload>& workloads();

// The family files' workloads.
void logsumexp_workloads(std::vector<Workload>& out);
void rbm_workloads(std::vector<Workload>& out);
void langevin_workloads(std::vector<Workload>& out);
void mlp_workloads(std::vector<Workload>& out);
void jem_workloads(std::vector<Workload>& out);
void optim_workloads(std::vector<Workload>& out);
void sampler_workloads(std::vector<Workload>& out);
void rbm_eval_workloads(std::vector<Workload>& out);
void sample_workloads(std::vector<Workload>& out);
void score_workloads(std::vector<Workload>& out);

// record.cpp: the device's name; a record as a table line and as JSON.
std::string device_name(Context& ctx);
void print(const Record& r);
nlohmann::ordered_json to_json(const Record& r);

// Shared inputs: a deterministic pattern in [-1, 1) on the context's device; an ELU
// MLP with PyTorch's initialisation (seed 1); multiply-adds per row of a network and
// its name ("784-256-256-10").
Tensor bench_input(Context& ctx, std::int64_t rows, std::int64_t cols);
MlpEnergy bench_model(Context& ctx, const std::vector<std::int64_t>& widths);
std::pair<double, std::string> network(const std::vector<std::int64_t>& widths);

}  // namespace ebmkit::bench
