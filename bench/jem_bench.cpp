// jem: one JemTrainer iteration (batch 64 and 256, 20 SGLD steps, 784-256-256-10):
// the replay draw, 20 SGLD steps, one forward and backward pass per set with the JEM
// head, the batch's statistics copy and the Adamax step, against the FP32 GEMM. The
// cuda-fused variant under each tile plan (row tiles, clusters, grid).
#include "bench/workloads.hpp"

namespace ebmkit::bench {

namespace {

Record run_jem(Setting& s, std::int64_t batch, int reps) {
    Context& ctx = s.ctx;
    const std::vector<std::int64_t> widths = {784, 256, 256, 10};
    MlpEnergy model = bench_model(ctx, widths);
    JemTrainOptions o;
    o.batch = batch;
    JemTrainer trainer(ctx, model, o);
    const Tensor x = bench_input(ctx, batch, 784);
    std::vector<std::int32_t> y(static_cast<std::size_t>(batch));
    for (std::int64_t i = 0; i < batch; ++i) y[i] = static_cast<std::int32_t>(i % 10);
    const Tensor labels = Tensor::from(y, {batch}).to(ctx.device());
    const Stats t = time_runs(ctx, [&](int) { trainer.step(x, labels); }, 1, reps);
    const auto [macs, name] = network(widths);
    // 20 score passes (4) on the samples; the data and sample parameter gradients (6 each).
    const double flops = (20 * 4.0 + 2 * 6.0) * macs * static_cast<double>(batch);
    return {"jem_iteration", "batch " + std::to_string(batch) + ", 20 SGLD steps, " + name + s.tile_plan_suffix(),
            s.variant, device_name(ctx),
            t, flops, 1.0, "iterations", s.gemm_of(Precision::Fp32)};
}

}  // namespace

void jem_workloads(std::vector<Workload>& out) {
    out.push_back({"jem", true, true, [](Setting& s, const std::function<void(Record)>& emit) {
                       for (std::int64_t batch : {64, 256}) {
                           s.each_tile_plan(s.ctx.mlp_path() == MlpPath::Fused ? Setting::chain_plans() : std::vector<TilePlan>{},
                                            [&] { emit(run_jem(s, batch, s.gpu() ? 10 : 2)); });
                       }
                   }});
}

}  // namespace ebmkit::bench
