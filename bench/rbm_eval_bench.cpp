// rbm_eval: free energies of 10,000 rows and 100 AIS runs of 1,000 steps on a
// 784 x 500 RBM, against the FP32 GEMM (2 D M flops per row for the free energy;
// per AIS run and step one sweep, 4 D M).
#include "bench/workloads.hpp"

namespace ebmkit::bench {

namespace {

Rbm eval_rbm(Context& ctx) {
    Rbm host(784, 500);
    host.init_normal(1, 0.05f);
    return host.to(ctx.device());
}

Record run_free_energy(Setting& s) {
    Context& ctx = s.ctx;
    const Rbm rbm = eval_rbm(ctx);
    const std::int64_t rows = 10000;
    const Tensor v = bench_input(ctx, rows, 784);
    Tensor f({rows}, DType::F32, ctx.device());
    const Stats t = time_runs(ctx, [&](int) { free_energy(ctx, rbm, v, f); }, 1, s.gpu() ? s.options.reps : 2);
    return {"rbm_eval_free_energy", "10000 rows, 784x500", s.variant, device_name(ctx), t, 2.0 * 784 * 500 * rows,
            static_cast<double>(rows), "rows", s.gemm_of(Precision::Fp32)};
}

Record run_ais(Setting& s) {
    Context& ctx = s.ctx;
    const Rbm rbm = eval_rbm(ctx);
    const Tensor base = Tensor::zeros({784}, DType::F32, ctx.device());
    AisOptions o;
    o.runs = 100;
    o.betas = linear_ais_schedule(1000);
    const Stats t = time_runs(ctx, [&](int) { log_partition_ais(ctx, rbm, base, o); }, 1, s.gpu() ? 3 : 1);
    const double sweeps = 100.0 * 1000;
    return {"rbm_eval_ais", "100 runs x 1000 steps, 784x500", s.variant, device_name(ctx), t, 4.0 * 784 * 500 * sweeps,
            sweeps, "run_steps", s.gemm_of(Precision::Fp32)};
}

}  // namespace

void rbm_eval_workloads(std::vector<Workload>& out) {
    out.push_back({"rbm_eval", false, true, [](Setting& s, const std::function<void(Record)>& emit) {
                       emit(run_free_energy(s));
                       emit(run_ais(s));
                   }});
}

}  // namespace ebmkit::bench
