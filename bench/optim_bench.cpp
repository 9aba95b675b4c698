// optim: one Optimizer step (SGD, Adam, Adamax) over the 784-256-256-10 and
// 64-512-512-512-10 networks' parameters: bandwidth-bound, its bytes (parameter,
// gradient and state read, parameter and state written) against the copy bandwidth.
#include "bench/workloads.hpp"

namespace ebmkit::bench {

namespace {

Record run_optim(Setting& s, const std::vector<std::int64_t>& widths, OptimizerKind kind) {
    Context& ctx = s.ctx;
    MlpEnergy model = bench_model(ctx, widths);
    const MlpEnergy grad = bench_model(ctx, widths);
    OptimizerOptions o;
    o.kind = kind;
    Optimizer opt(model, o);
    const Stats t = time_runs(ctx, [&](int) { opt.step(ctx, model, grad); }, 2, s.options.reps);
    double params = 0;
    for (const ConstTensorView& p : model.parameters()) params += static_cast<double>(p.numel());
    const double states = kind == OptimizerKind::Sgd ? 1 : 2;
    const double bytes = 4.0 * params * (2 + states + 1 + states);
    return {"optim", std::string(to_string(kind)) + ", " + network(widths).second, s.variant, device_name(ctx), t, bytes,
            params, "parameters", s.bandwidth};
}

}  // namespace

void optim_workloads(std::vector<Workload>& out) {
    out.push_back({"optim", false, false, [](Setting& s, const std::function<void(Record)>& emit) {
                       for (const auto& net : {std::vector<std::int64_t>{784, 256, 256, 10},
                                               std::vector<std::int64_t>{64, 512, 512, 512, 10}}) {
                           for (OptimizerKind kind : {OptimizerKind::Sgd, OptimizerKind::Adam, OptimizerKind::Adamax}) {
                               emit(run_optim(s, net, kind));
                           }
                       }
                   }});
}

}  // namespace ebmkit::bench
