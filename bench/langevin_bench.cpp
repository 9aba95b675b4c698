// langevin: SGLD chains (20 and 60 steps, alpha 1, sigma 0.01, clamp) on the
// 784-256-256-10 and 64-512-512-512-10 ELU energies, in every precision, against the
// GEMM of the same precision: each step a forward and an input-gradient pass, 4 flops
// per multiply-add. The cuda-fused variant under each tile plan (row tiles, clusters,
// grid) up to 4096 chains; at more, row tiles fill the GPU and the plans are Auto's.
#include "bench/workloads.hpp"

namespace ebmkit::bench {

namespace {

Record run_langevin(Setting& s, const std::vector<std::int64_t>& widths, std::int64_t chains, std::uint32_t steps,
                    int reps, const Roofline& roofline) {
    Context& ctx = s.ctx;
    const MlpEnergy model = bench_model(ctx, widths);
    Tensor x = bench_input(ctx, chains, widths.front());
    LangevinParams p;
    p.clamp = true;
    std::uint32_t step = 0;
    const Stats t = time_runs(
        ctx,
        [&](int) {
            langevin_chain(ctx, model, x, p, Steps{step, steps});
            step += steps;
        },
        1, reps);
    const auto [macs, net] = network(widths);
    const double chain_steps = static_cast<double>(chains) * steps;
    return {"langevin",
            std::to_string(chains) + " chains x " + std::to_string(steps) + " steps, " + net + " " +
                to_string(ctx.precision()) + s.tile_plan_suffix(),
            s.variant, device_name(ctx), t, 4.0 * macs * chain_steps, chain_steps, "chain_steps", roofline};
}

}  // namespace

void langevin_workloads(std::vector<Workload>& out) {
    out.push_back({"langevin", true, true, [](Setting& s, const std::function<void(Record)>& emit) {
                       for (Precision p : s.precisions()) {
                           ScopedPrecision precision(s.ctx, p);
                           for (const auto& net : {std::vector<std::int64_t>{784, 256, 256, 10},
                                                   std::vector<std::int64_t>{64, 512, 512, 512, 10}}) {
                               for (std::uint32_t steps : {20u, 60u}) {
                                   for (std::int64_t chains : s.options.chains) {
                                       if (!s.gpu() && (chains > 256 || steps > 20)) continue;  // minutes on the CPU
                                       const bool plans = s.ctx.mlp_path() == MlpPath::Fused && chains <= 4096;
                                       s.each_tile_plan(plans ? Setting::chain_plans() : std::vector<TilePlan>{}, [&] {
                                           emit(run_langevin(s, net, chains, steps, s.gpu() ? 5 : 1, s.gemm_of(p)));
                                       });
                                   }
                               }
                           }
                       }
                   }});
}

}  // namespace ebmkit::bench
