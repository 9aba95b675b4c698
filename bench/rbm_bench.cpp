// rbm_gibbs: block-Gibbs sweeps of --chains chains on a 784 x 500 RBM, in every
// precision (on a GPU with each tile plan: the default, row tiles, clusters), against the GEMM of
// that precision; rbm_pcd_epoch: one PCD-1 epoch of
// RbmTrainer on binarised Fashion-MNIST (60000 images, batch 100), the whole trainer.
#include <iostream>

#include "bench/workloads.hpp"

namespace ebmkit::bench {

namespace {

// `steps` sweeps of `chains` chains per run: 2 * 2 * D * M flops per chain-sweep (the
// two conditionals' products).
Record run_rbm_gibbs(Setting& s, std::int64_t chains, std::int64_t steps, int reps, const Roofline& roofline) {
    Context& ctx = s.ctx;
    const std::int64_t d = 784, m = 500;
    Rbm host(d, m);
    host.init_normal(1, 0.05f);
    const Rbm rbm = host.to(ctx.device());
    Tensor v = Tensor::zeros({chains, d}, DType::F32, ctx.device()), h({chains, m}, DType::F32, ctx.device());
    std::uint32_t step = 0;
    const Stats t = time_runs(
        ctx,
        [&](int) {
            gibbs_chain(ctx, rbm, v, h, Steps{step, static_cast<std::uint32_t>(steps)});
            step += static_cast<std::uint32_t>(steps);
        },
        1, reps);
    const double sweeps = static_cast<double>(chains * steps);
    return {"rbm_gibbs",
            std::to_string(chains) + " chains x " + std::to_string(steps) + " steps, 784x500 " +
                to_string(ctx.precision()) + s.tile_plan_suffix(),
            s.variant, device_name(ctx), t, 4.0 * d * m * sweeps, sweeps, "chain_sweeps", roofline};
}

// Per image (8 + 4k) D M flops (data and chain statistics, k sweeps, two outer
// products), k = 1.
Record run_rbm_pcd_epoch(Setting& s, const Tensor& data, int reps) {
    Context& ctx = s.ctx;
    const std::int64_t d = data.dim(1), m = 500;
    Rbm rbm(d, m, ctx.device());
    rbm.init_normal(1, 0.01f);
    RbmTrainOptions o;
    o.batch = 100;
    RbmTrainer trainer(ctx, rbm, o);
    const Stats t = time_runs(ctx, [&](int) { trainer.train_epoch(data); }, 1, reps);
    const double images = static_cast<double>(data.dim(0));
    return {"rbm_pcd_epoch", std::to_string(data.dim(0)) + " images, batch 100, 784x500, PCD-1", s.variant,
            device_name(ctx), t, 12.0 * d * m * images, images, "images", s.gemm_of(Precision::Fp32)};
}

}  // namespace

void rbm_workloads(std::vector<Workload>& out) {
    out.push_back({"rbm_gibbs", false, true, [](Setting& s, const std::function<void(Record)>& emit) {
                       for (Precision p : s.precisions()) {
                           ScopedPrecision precision(s.ctx, p);
                           for (std::int64_t chains : s.options.chains) {
                               // The CPU reference would take minutes on the large configurations.
                               if (!s.gpu() && chains * s.options.steps > 10240) continue;
                               s.each_tile_plan(Setting::on_chip_plans(), [&] {
                                   emit(run_rbm_gibbs(s, chains, s.options.steps, s.gpu() ? s.options.reps : 3,
                                                      s.gemm_of(p)));
                               });
                           }
                       }
                   }});
    out.push_back({"rbm_pcd_epoch", false, true, [](Setting& s, const std::function<void(Record)>& emit) {
                       static Tensor fashion_mnist;  // loaded once for every variant
                       if (fashion_mnist.empty()) {
                           try {
                               fashion_mnist = binarize_threshold(load_fashion_mnist(s.options.data, "train").images);
                           } catch (const Error& e) {
                               std::cerr << "ebm-bench: rbm_pcd_epoch skipped: " << e.what() << "\n";
                               return;
                           }
                       }
                       emit(run_rbm_pcd_epoch(s, fashion_mnist, s.gpu() ? 3 : 1));
                   }});
}

}  // namespace ebmkit::bench
