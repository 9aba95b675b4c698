// score_dsm, score_ssm, annealed_langevin: the score family (ebmkit/score.hpp) on the
// 784-256-256-1 ELU energy. A DSM step (loss and parameter gradient, batch 64 and 128)
// is six products per row (forward, backward, tangent forward and backward, two weight
// products), 12 flops per multiply-add of the network, against the GEMM of its
// precision. An SSM step is an order-2 Taylor pass: each product over three coefficient
// blocks (forward, backward, the two weight products' three pairings), 18 flops per
// multiply-add. Annealed Langevin: 10 levels x 10 steps, each step a forward and an
// input-gradient pass (4 flops per multiply-add).
#include <random>

#include "bench/workloads.hpp"

namespace ebmkit::bench {

namespace {

const std::vector<std::int64_t> score_net = {784, 256, 256, 1};

Tensor normals(Context& ctx, std::int64_t rows, std::int64_t cols, bool signs) {
    std::mt19937_64 rng(7);
    std::normal_distribution<float> z;
    Tensor h({rows, cols});
    for (std::int64_t i = 0; i < h.numel(); ++i) h.data<float>()[i] = signs ? (rng() % 2 ? 1.0f : -1.0f) : z(rng);
    return h.to(ctx.device());
}

Record run_score(Setting& s, bool sliced, std::int64_t batch, int reps, const Roofline& roofline) {
    Context& ctx = s.ctx;
    const MlpEnergy model = bench_model(ctx, score_net);
    MlpEnergy grad = model.zeros_like();
    const Tensor x = bench_input(ctx, batch, score_net.front());
    const Tensor noise = normals(ctx, batch, score_net.front(), sliced);
    const Tensor sigma = Tensor::from(std::vector<float>(static_cast<std::size_t>(batch), 0.1f), {batch}).to(ctx.device());
    const DenoisingScoreOptions o{NoiseConditioning::ScaledByNoise, true};
    const Stats t = time_runs(
        ctx,
        [&](int) {
            if (sliced) sliced_score_gradient(ctx, model, x, noise, false, grad);
            else denoising_score_gradient(ctx, model, x, noise, sigma, o, grad);
        },
        1, reps);
    const auto [macs, net] = network(score_net);
    return {sliced ? "score_ssm" : "score_dsm",
            std::to_string(batch) + " rows, " + net + " " + to_string(ctx.precision()),
            s.variant, device_name(ctx), t, (sliced ? 18.0 : 12.0) * macs * static_cast<double>(batch),
            static_cast<double>(batch),
            "rows", roofline};
}

Record run_annealed(Setting& s, std::int64_t chains, int reps, const Roofline& roofline) {
    Context& ctx = s.ctx;
    const MlpEnergy model = bench_model(ctx, score_net);
    Tensor x = bench_input(ctx, chains, score_net.front());
    AnnealedLangevinParams p;
    p.sigmas = geometric_ladder(1.0f, 0.01f, 10);
    p.steps_per_level = 10;
    std::uint32_t step = 0;
    const Stats t = time_runs(
        ctx,
        [&](int) {
            annealed_langevin(ctx, model, x, p, step);
            step += 100;
        },
        1, reps);
    const auto [macs, net] = network(score_net);
    const double chain_steps = static_cast<double>(chains) * 100;
    return {"annealed_langevin",
            std::to_string(chains) + " chains x 10 levels x 10 steps, " + net + " " + to_string(ctx.precision()),
            s.variant, device_name(ctx), t, 4.0 * macs * chain_steps, chain_steps, "chain_steps", roofline};
}

}  // namespace

void score_workloads(std::vector<Workload>& out) {
    for (const bool sliced : {false, true}) {
        out.push_back({sliced ? "score_ssm" : "score_dsm", false, true,
                       [sliced](Setting& s, const std::function<void(Record)>& emit) {
                           for (Precision p : s.precisions()) {
                               ScopedPrecision precision(s.ctx, p);
                               for (std::int64_t batch : {64, 128}) {
                                   emit(run_score(s, sliced, batch, s.gpu() ? 20 : 2, s.gemm_of(p)));
                               }
                           }
                       }});
    }
    out.push_back({"annealed_langevin", true, true, [](Setting& s, const std::function<void(Record)>& emit) {
                       for (Precision p : s.precisions()) {
                           ScopedPrecision precision(s.ctx, p);
                           for (std::int64_t chains : {64, 1024}) {
                               if (!s.gpu() && chains > 64) continue;  // minutes on the CPU
                               emit(run_annealed(s, chains, s.gpu() ? 5 : 1, s.gemm_of(p)));
                           }
                       }
                   }});
}

}  // namespace ebmkit::bench
