// mlp: the energy (2 flops per multiply-add), the score (forward + input gradient, 4)
// and the parameter gradient (forward, activation and weight gradients, 6) of the
// 784-256-256-10 and 64-512-512-512-10 ELU networks over batches 256 .. 65536, in every
// precision, against the GEMM of the same precision.
#include "bench/workloads.hpp"

namespace ebmkit::bench {

namespace {

Record run_mlp(Setting& s, const std::vector<std::int64_t>& widths, const std::string& op, std::int64_t rows, int reps,
               const Roofline& roofline) {
    Context& ctx = s.ctx;
    const MlpEnergy model = bench_model(ctx, widths);
    MlpEnergy grad = model.zeros_like();
    const Tensor x = bench_input(ctx, rows, widths.front());
    Tensor e({rows}, DType::F32, ctx.device()), g({rows, widths.front()}, DType::F32, ctx.device());
    const Tensor dlogits = bench_input(ctx, rows, widths.back());
    const Stats t = time_runs(
        ctx,
        [&](int) {
            if (op == "energy") energy(ctx, model, x, e);
            else if (op == "score") energy_grad_x(ctx, model, x, g);
            else param_grad(ctx, model, x, dlogits, grad);
        },
        2, reps);
    const auto [macs, name] = network(widths);
    const double per_mac = op == "energy" ? 2.0 : op == "score" ? 4.0 : 6.0;
    return {"mlp_" + op, std::to_string(rows) + " rows, " + name + " " + to_string(ctx.precision()), s.variant,
            device_name(ctx), t, per_mac * macs * static_cast<double>(rows), static_cast<double>(rows), "rows",
            roofline};
}

}  // namespace

void mlp_workloads(std::vector<Workload>& out) {
    out.push_back({"mlp", true, true, [](Setting& s, const std::function<void(Record)>& emit) {
                       for (Precision p : s.precisions()) {
                           ScopedPrecision precision(s.ctx, p);
                           for (const auto& net : {std::vector<std::int64_t>{784, 256, 256, 10},
                                                   std::vector<std::int64_t>{64, 512, 512, 512, 10}}) {
                               for (const char* op : {"energy", "score", "param_grad"}) {
                                   for (std::int64_t rows : {256, 1024, 4096, 16384, 65536}) {
                                       if (!s.gpu() && rows > 4096) continue;
                                       emit(run_mlp(s, net, op, rows, s.gpu() ? s.options.reps : 3, s.gemm_of(p)));
                                   }
                               }
                           }
                       }
                   }});
}

}  // namespace ebmkit::bench
