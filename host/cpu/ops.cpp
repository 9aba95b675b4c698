// The CPU backend (host/ops/ops.hpp): each family's operations as calls of its CPU twin
// in this folder, which accumulates in double (docs/ARCHITECTURE.md §4).
#include "host/ops/ops.hpp"

#include <cstring>
#include <type_traits>

#include "centering.hpp"
#include "jem.hpp"
#include "langevin.hpp"
#include "logsumexp.hpp"
#include "mlp.hpp"
#include "optim.hpp"
#include "rbm.hpp"
#include "rbm_eval.hpp"
#include "sample_steps.hpp"
#include "sampler.hpp"
#include "score.hpp"
#include "tempering.hpp"
#include "kernels/jem_head.hpp"

namespace ebmkit::detail {

namespace {

class CpuLogsumexp final : public LogsumexpOps {
public:
    void forward(Context&, const float* x, std::int64_t rows, std::int64_t cols, float* out) const override {
        cpu::logsumexp(x, rows, cols, out);
    }
    void backward(Context&, const float* x, const float* lse, const float* dlse, float* dx, std::int64_t rows,
                  std::int64_t cols) const override {
        cpu::logsumexp_backward(x, lse, dlse, dx, rows, cols);
    }
};

class CpuMlp final : public MlpOps {
public:
    bool uses_fused(Context&, const MlpEnergy&, std::int64_t) const override { return false; }
    void logits(const char*, Context&, const MlpEnergy& model, ConstTensorView x, float* logits) const override {
        cpu::mlp_logits(cpu::params_of(model), x.data<float>(), x.dim(0), logits);
    }
    void energy(const char*, Context&, const MlpEnergy& model, ConstTensorView x, const std::int32_t* labels,
                float* energy, float* grad) const override {
        if (!grad) return cpu::energy(cpu::params_of(model), x.data<float>(), labels, x.dim(0), energy);
        cpu::energy_grad_x(cpu::params_of(model), x.data<float>(), labels, x.dim(0), grad, energy);
    }
    void param_grad(const char*, Context&, const MlpEnergy& model, ConstTensorView x, const float* dlogits,
                    MlpEnergy& grad, bool accumulate) const override {
        cpu::param_grad(cpu::params_of(model), x.data<float>(), dlogits, x.dim(0), cpu::params_of(grad), accumulate);
    }
};

class CpuLangevin final : public LangevinOps {
public:
    bool uses_fused_chain(Context&, const MlpEnergy&, std::int64_t, const LangevinParams&) const override {
        return false;
    }
    bool chain_replayable(Context&, const MlpEnergy&, std::int64_t, const LangevinParams&, bool) const override {
        return true;  // the CPU's replay runs the sequence
    }
    LangevinStats chain(Context& ctx, const MlpEnergy& model, const std::int32_t* labels, TensorView x,
                        const LangevinParams& params, Steps steps, const std::uint32_t* step_offset, bool trace,
                        Tensor&) const override {
        return cpu::langevin_chain(cpu::params_of(model), x.data<float>(), labels, x.dim(0), params, ctx.seed(),
                                   StepKey{steps.first, step_offset}.on_host(), steps.count, trace);
    }
    void scheduled_chain(Context& ctx, const MlpEnergy& model, TensorView x,
                         const std::vector<kernels::ChainSegment>& segments, std::uint32_t first_step,
                         std::uint32_t first_chain) const override {
        for (const kernels::ChainSegment& s : segments) {
            LangevinParams p;
            p.alpha = s.alpha;
            p.sigma = s.sigma;
            p.first_chain = first_chain;
            cpu::langevin_chain(cpu::params_of(model), x.data<float>(), nullptr, x.dim(0), p, ctx.seed(), first_step,
                                s.steps, false);
            first_step += s.steps;
        }
    }
};

class CpuSampler final : public SamplerOps {
public:
    void uniform_rows(Context& ctx, float* x, std::int64_t rows, std::int64_t dim, float lo, float hi,
                      std::uint32_t first_chain, StepKey step) const override {
        cpu::uniform_rows(x, rows, dim, lo, hi, ctx.seed(), first_chain, step.on_host());
    }
    void draw_classes(Context& ctx, std::int64_t classes, StepKey round, std::int64_t rows, std::int32_t* out,
                      std::uint32_t first_row) const override {
        cpu::draw_classes(ctx.seed(), classes, round.on_host(), rows, out, first_row);
    }
    void replay_draw(Context&, const kernels::ReplayShape& s, const float* buffer, std::int64_t batch, float reinit,
                     StepKey round, const std::int32_t* row_classes, float* out, std::int32_t* slots) const override {
        cpu::replay_draw(s, buffer, batch, reinit, round.on_host(), row_classes, out, slots);
    }
    void replay_store(Context&, const kernels::ReplayShape& s, float* buffer, std::int64_t batch, StepKey round,
                      const std::int32_t* slots, const std::int32_t* row_classes, const float* samples, std::int32_t*,
                      const std::int32_t* skip) const override {
        if (skip && *skip) return;
        cpu::replay_store(s, buffer, batch, round.on_host(), slots, row_classes, samples);
    }
};

// The data rows' head and gradient, then the samples': cpu/jem.hpp sums the loss in the
// order it always has, so the CPU path's numbers stay the same to the last bit.
class CpuJem final : public JemOps {
public:
    // scratch: the iteration's JemReadout, as bytes, then its verdict word.
    const std::int32_t* terms_and_gradient(Context&, const MlpEnergy& model, ConstTensorView x, ConstTensorView labels,
                                           ConstTensorView samples, const JemLoss& loss, MlpEnergy& grad,
                                           Tensor& scratch) const override {
        const std::int64_t n = x.dim(0), m = samples.empty() ? 0 : samples.dim(0), k = model.num_outputs();
        const cpu::MlpParams<const float> p = cpu::params_of(model);
        JemReadout out;
        JemStepStats& s = out.stats;
        Tensor logits({n, k}), dlogits({n, k});
        cpu::mlp_logits(p, x.data<float>(), n, logits.data<float>());
        out.first_bad_label = cpu::jem_data_head(logits.data<float>(), labels.data<std::int32_t>(), n,
                                                 loss.data_rows_total, k, loss.classifier, loss.generative,
                                                 loss.energy_l2, dlogits.data<float>(), s);
        cpu::param_grad(p, x.data<float>(), dlogits.data<float>(), n, cpu::params_of(grad), false);
        if (m > 0) {
            Tensor sample_logits({m, k}), sample_dlogits({m, k});
            cpu::mlp_logits(p, samples.data<float>(), m, sample_logits.data<float>());
            cpu::jem_sample_head(sample_logits.data<float>(), m, loss.sample_rows_total, k, loss.generative,
                                 loss.energy_l2, sample_dlogits.data<float>(), s);
            cpu::param_grad(p, samples.data<float>(), sample_dlogits.data<float>(), m, cpu::params_of(grad), true);
        }
        out.skip = !(out.first_bad_label < 0 &&
                     kernels::jem_keeps(s.loss, s.energy_data, s.energy_sample, loss.max_energy_gap));
        if (scratch.empty() || scratch.numel() < words + 1) scratch = Tensor({words + 1}, DType::I32);
        std::memcpy(scratch.data<std::int32_t>(), &out, sizeof out);
        scratch.data<std::int32_t>()[words] = out.skip ? 1 : 0;
        return scratch.data<std::int32_t>() + words;
    }
    JemReadout read_stats(Context&, const Tensor& scratch, const JemLoss&, std::int64_t, std::int64_t) const override {
        JemReadout out;
        std::memcpy(static_cast<void*>(&out), scratch.data<std::int32_t>(), sizeof out);
        return out;
    }

private:
    static_assert(std::is_trivially_copyable_v<JemReadout>);
    static constexpr auto words = static_cast<std::int64_t>((sizeof(JemReadout) + 3) / 4);
};

class CpuOptim final : public OptimOps {
public:
    void step(Context&, float* param, float* first, float* second, const float* grad, std::int64_t n,
              const kernels::OptimizerStep& s) const override {
        cpu::optimizer_step(param, first, second, grad, n, s);
    }
    void momentum_ascent(Context&, float* param, float* velocity, const float* grad, std::int64_t n, float lr,
                         float momentum, float decay) const override {
        cpu::momentum_ascent_step(param, velocity, grad, n, lr, momentum, decay);
    }
};

class CpuRbm final : public RbmOps {
public:
    void conditional(Context&, const Rbm& rbm, const float* in, std::int64_t rows, float* out,
                     bool to_hidden) const override {
        const auto reference = to_hidden ? cpu::rbm_hidden_probs : cpu::rbm_visible_probs;
        reference(cpu::params_of(rbm), in, rows, out);
    }
    void gibbs_step(Context& ctx, const Rbm& rbm, float* v, float* h, std::int64_t rows,
                    std::uint32_t step) const override {
        cpu::gibbs_step(cpu::params_of(rbm), v, h, rows, ctx.seed(), step);
    }
    void gibbs_chain(Context& ctx, const Rbm& rbm, float* v, float* h, std::int64_t rows, Steps steps,
                     const float* clamp, const float* field) const override {
        for (std::uint32_t s = 0; s < steps.count; ++s) {
            cpu::gibbs_step(cpu::params_of(rbm), v, h, rows, ctx.seed(), steps.first + s, 0, clamp, field);
        }
    }
    void free_energy(Context&, const Rbm& rbm, const float* v, std::int64_t rows, float* f) const override {
        cpu::free_energy(cpu::params_of(rbm), v, rows, f);
    }
    void cd_gradient(Context& ctx, const Rbm& rbm, ConstTensorView data, TensorView chains, Rbm& grad, Steps steps,
                     const RbmShard& shard, const std::uint32_t* step_offset) const override {
        const std::uint32_t first = steps.first + (step_offset ? *step_offset : 0u);
        cpu::cd_gradient(cpu::params_of(rbm), data.data<float>(), data.dim(0), chains.data<float>(), chains.dim(0),
                         steps.count, ctx.seed(), first, shard, cpu::params_of(grad));
    }
    void gradient(Context&, const Rbm& rbm, ConstTensorView data, ConstTensorView samples, const RbmShard& shard,
                  Rbm& grad) const override {
        cpu::rbm_gradient(cpu::params_of(rbm), data.data<float>(), data.dim(0), samples.data<float>(), samples.dim(0),
                          shard, cpu::params_of(grad));
    }
    double log_partition_exact(Context&, const Rbm& rbm, std::int64_t) const override {
        return cpu::log_partition_exact(cpu::params_of(rbm));
    }
    std::vector<double> ais_log_weights(Context& ctx, const Rbm& rbm, const float*, const float* base_host,
                                        std::int64_t runs, const std::vector<double>& betas) const override {
        return cpu::ais_log_weights(cpu::params_of(rbm), base_host, runs, betas, ctx.seed());
    }
    std::vector<double> raise_log_weights(Context& ctx, const Rbm& rbm, const float*, const float* base_host,
                                          const float* v, std::int64_t rows, std::int64_t runs,
                                          const std::vector<double>& betas) const override {
        return cpu::raise_log_weights(cpu::params_of(rbm), base_host, v, rows, runs, betas, ctx.seed());
    }
    void pseudo_log_likelihood(Context&, const Rbm& rbm, ConstTensorView v, TensorView out) const override {
        cpu::pseudo_log_likelihood(cpu::params_of(rbm), v.data<float>(), v.dim(0), out.data<float>());
    }
    void follow_mean(Context&, float* offset, const float* x, std::int64_t rows, std::int64_t cols,
                     float rate) const override {
        cpu::centering_offsets(offset, x, rows, cols, rate);
    }
    void center_gradient(Context&, Rbm& grad, const float* mu, const float* lambda) const override {
        cpu::centered_gradient(grad.w().data<float>(), grad.b().data<float>(), grad.c().data<float>(), mu, lambda,
                               grad.visible(), grad.hidden());
    }
};

class CpuTempering final : public TemperingOps {
public:
    void sweeps(Context& ctx, const Rbm& rbm, const float* betas, const float*, int replicas, std::int64_t chains,
                float* v, float* h, Steps sweeps, std::uint64_t* accepted) const override {
        for (std::uint32_t s = 0; s < sweeps.count; ++s) {
            cpu::tempering_sweep(cpu::params_of(rbm), betas, replicas, chains, v, h, ctx.seed(), sweeps.first + s, accepted);
        }
    }
};

}  // namespace

class CpuGraph final : public GraphOps {
public:
    void replay(Context&, Recording&, std::uint64_t, const std::function<void()>& sequence) const override {
        sequence();
    }
    void advance(Context&, std::uint32_t* counter, std::uint32_t by, const std::int32_t* unless) const override {
        if (!(unless && *unless)) *counter += by;
    }
};

class CpuSampleSteps final : public SampleStepOps {
public:
    void propose(Context&, const float* x, const float* grad, std::int64_t rows, int d, const ChainRule& r,
                 std::uint32_t first_chain, std::uint32_t step, float* out) const override {
        cpu::sample_propose(x, grad, rows, d, r, first_chain, step, out);
    }
    void momentum(Context&, float* p, std::int64_t rows, int d, const ChainRule& r, std::uint32_t first_chain,
                  std::uint32_t step) const override {
        cpu::sample_momentum(p, rows, d, r, first_chain, step);
    }
    void accept(Context&, const StepAccept& a, const ChainRule& r, std::uint32_t first_chain,
                std::uint32_t step) const override {
        cpu::sample_accept(a, r, first_chain, step);
    }
    void restore_clamped(Context&, float* x, const float* kept, const float* clamp, std::int64_t n) const override {
        for (std::int64_t i = 0; i < n; ++i) {
            if (clamp[i] != 0.0f) x[i] = kept[i];
        }
    }
};

namespace {

// The losses' doubles (means over the rows) into the float loss and gradient, times factor.
void write_score(const cpu::ScoreGradient& g, double factor, float* loss, MlpEnergy* grad) {
    *loss = static_cast<float>(g.loss * factor);
    if (!grad) return;
    const cpu::MlpParams<float> out = cpu::params_of(*grad);
    for (std::size_t l = 0; l < g.weight.size(); ++l) {
        for (std::size_t k = 0; k < g.weight[l].size(); ++k) out.weights[l][k] = static_cast<float>(g.weight[l][k] * factor);
        for (std::size_t k = 0; k < g.bias[l].size(); ++k) out.biases[l][k] = static_cast<float>(g.bias[l][k] * factor);
    }
}

class CpuScore final : public ScoreOps {
public:
    void draw_perturbation(Context& ctx, const float* sigmas, int levels, std::int64_t rows, std::int64_t d,
                           ScoreDrawKey key, float* sigma, float* noise) const override {
        cpu::draw_perturbation(ctx.seed(), sigmas, levels, rows, d, key.step, key.first_row, sigma, noise);
    }
    void draw_projections(Context& ctx, Projection kind, std::int64_t rows, std::int64_t d, ScoreDrawKey key,
                          float* v) const override {
        cpu::draw_projections(ctx.seed(), kind == Projection::Gaussian, rows, d, key.step, key.first_row, v);
    }
    void denoising(const char*, Context&, const MlpEnergy& model, ConstTensorView x, const float* noise,
                   const float* sigma, const DenoisingScoreOptions& o, double scale, float* loss,
                   MlpEnergy* grad) const override {
        const cpu::DenoisingOptions options{o.conditioning == NoiseConditioning::ScaledByNoise, o.sigma_squared_weight};
        const std::int64_t rows = x.dim(0);
        write_score(cpu::denoising_gradient(cpu::params_of(model), x.data<float>(), noise, sigma, rows, options,
                                            grad != nullptr),
                    scale * static_cast<double>(rows), loss, grad);
    }
    void sliced(const char*, Context&, const MlpEnergy& model, ConstTensorView x, const float* v, bool variance_reduced,
                double scale, float* loss, MlpEnergy* grad) const override {
        const std::int64_t rows = x.dim(0);
        write_score(cpu::sliced_gradient(cpu::params_of(model), x.data<float>(), v, rows, variance_reduced,
                                         grad != nullptr),
                    scale * static_cast<double>(rows), loss, grad);
    }
    void tweedie(const char*, Context&, const MlpEnergy& model, TensorView x, float k) const override {
        const std::int64_t rows = x.dim(0), d = x.dim(1);
        std::vector<float> g(static_cast<std::size_t>(rows * d));
        cpu::energy_grad_x(cpu::params_of(model), x.data<float>(), nullptr, rows, g.data());
        float* out = x.data<float>();
        for (std::size_t i = 0; i < g.size(); ++i) out[i] -= k * g[i];
    }
};

}  // namespace

const Ops& cpu_ops() {
    static const CpuLogsumexp logsumexp;
    static const CpuMlp mlp;
    static const CpuLangevin langevin;
    static const CpuSampler sampler;
    static const CpuJem jem;
    static const CpuOptim optim;
    static const CpuRbm rbm;
    static const CpuTempering tempering;
    static const CpuGraph graph;
    static const CpuSampleSteps sample_steps;
    static const CpuScore score;
    static const Ops ops{logsumexp, mlp, langevin, sampler, jem, optim, rbm, tempering, graph, sample_steps, score};
    return ops;
}

}  // namespace ebmkit::detail
