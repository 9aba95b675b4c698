// The CUDA RBM operations (host/ops/rbm.hpp): kernels/rbm.cu (products, conditionals,
// the on-chip Gibbs chain), kernels/columns.cu (bias statistics), kernels/rbm_eval.cu
// (log Z terms, AIS, RAISE, pseudo-likelihood), kernels/centering.cu, cuBLAS.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "families.hpp"
#include "host/cpu/rbm_eval.hpp"
#include "host/device_memory.hpp"
#include "kernels/centering.hpp"
#include "kernels/columns.hpp"
#include "kernels/logsumexp.hpp"
#include "kernels/rbm.hpp"
#include "kernels/sample_steps.hpp"
#include "kernels/rbm_eval.hpp"
#include "rbm_params.hpp"
#include "nvtx.hpp"

namespace ebmkit::detail {

namespace {

// steps.count sweeps of the chains v [rows, D] (h [rows, M] the last hidden sample): one on-chip
// launch where the chains fit, else a launch per half-sweep; the same draws either way.
void gibbs_sweeps_cuda(Context& ctx, const kernels::RbmParams& dev, float* v, float* h, std::int64_t rows, Steps steps,
                       std::uint32_t first_chain = 0, const std::uint32_t* step_offset = nullptr,
                       const float* clamp = nullptr, const float* field = nullptr) {
    kernels::GibbsChain::Arguments chain{dev,   v,     h,           rows,           ctx.seed(), first_chain,
                                         steps, step_offset, ctx.tile_plan()};
    chain.clamp = clamp;
    chain.field = field;
    if (kernels::GibbsChain::can_implement(chain)) return kernels::GibbsChain::run(chain, nullptr, ctx.stream());
    // Clamped: the units' starting values, restored after every visible half-sweep.
    Tensor kept;
    if (clamp) {
        kept = Tensor({rows * dev.visible}, DType::F32, ctx);
        copy_on_stream(ctx, ConstTensorView(v, {rows * dev.visible}, DType::F32, Device::Cuda), kept);
    }
    for (std::uint32_t sweep = 0; sweep < steps.count; ++sweep) {
        const std::uint32_t step = steps.first + sweep;
        using kernels::RbmHalfSweep;
        constexpr auto samples = kernels::RbmUnits::Samples;
        RbmHalfSweep::run({dev, false, v, rows, h, samples, ctx.seed(), first_chain, step, step_offset}, nullptr, ctx.stream());
        RbmHalfSweep::run({dev, true, h, rows, v, samples, ctx.seed(), first_chain, step, step_offset, field}, nullptr,
                          ctx.stream());
        if (clamp) kernels::restore_clamped(v, kept.data<float>(), clamp, rows * dev.visible, ctx.stream());
    }
}

// The scratch of gradient_statistics_cuda (and of the sweeps before it): p(h | v) of
// the data [n, M] and of the samples [s, M], then the column sums' partials.
float* gradient_scratch(Context& ctx, std::int64_t n, std::int64_t s, std::int64_t d, std::int64_t m) {
    // Every product's launch shape first: one that cannot launch throws before grad or
    // the chains are written.
    kernels::rbm_product_shape(n, m);
    kernels::rbm_product_shape(s, m);
    kernels::rbm_product_shape(s, d);
    const std::size_t partial_floats =
        std::max({kernels::column_sum_partial_floats(n, d), kernels::column_sum_partial_floats(n, m),
                  kernels::column_sum_partial_floats(s, d), kernels::column_sum_partial_floats(s, m)});
    return static_cast<float*>(ctx.workspace(sizeof(float) * (static_cast<std::size_t>((n + s) * m) + partial_floats)));
}

// Data statistics from p(h | v_data), model statistics from p(h | v_sample); the outer
// products through cuBLAS at the context's precision.
void gradient_statistics_cuda(Context& ctx, const Rbm& rbm, ConstTensorView data, const float* samples, std::int64_t s,
                              const RbmShard& shard, Rbm& grad, float* scratch) {
    const std::int64_t n = data.dim(0), d = rbm.visible(), m = rbm.hidden();
    // The means' divisors: the global batch's row counts (RbmShard).
    const float data_scale = 1.0f / static_cast<float>(shard.data_rows ? shard.data_rows : n);
    const float sample_scale = -1.0f / static_cast<float>(shard.sample_rows ? shard.sample_rows : s);
    const kernels::RbmParams dev = rbm_params(ctx, rbm);
    float* ph = scratch;
    float* h = scratch + n * m;
    float* partials = h + s * m;
    kernels::RbmHalfSweep::run({dev, false, data.data<float>(), n, ph}, nullptr, ctx.stream());
    kernels::outer_product_sum(ctx.cublas(), data.data<float>(), ph, n, d, m, data_scale, false, ctx.precision(), grad.w().data<float>());
    kernels::scaled_column_sums(data.data<float>(), n, d, data_scale, false, grad.b().data<float>(), partials, ctx.stream());
    kernels::scaled_column_sums(ph, n, m, data_scale, false, grad.c().data<float>(), partials, ctx.stream());
    kernels::RbmHalfSweep::run({dev, false, samples, s, h}, nullptr, ctx.stream());
    kernels::outer_product_sum(ctx.cublas(), samples, h, s, d, m, sample_scale, true, ctx.precision(), grad.w().data<float>());
    kernels::scaled_column_sums(samples, s, d, sample_scale, true, grad.b().data<float>(), partials, ctx.stream());
    kernels::scaled_column_sums(h, s, m, sample_scale, true, grad.c().data<float>(), partials, ctx.stream());
}

// The sweeps of the chains (their hidden samples in the scratch's sample rows), then the statistics.
void cd_gradient_cuda(Context& ctx, const Rbm& rbm, ConstTensorView data, TensorView chains, Rbm& grad, Steps steps,
                      const RbmShard& shard, const std::uint32_t* step_offset) {
    const std::int64_t n = data.dim(0), s = chains.dim(0), m = rbm.hidden();
    float* scratch = gradient_scratch(ctx, n, s, rbm.visible(), m);
    gibbs_sweeps_cuda(ctx, rbm_params(ctx, rbm), chains.data<float>(), scratch + n * m, s, steps, shard.first_chain,
                      step_offset);
    gradient_statistics_cuda(ctx, rbm, data, chains.data<float>(), s, shard, grad, scratch);
}

// Chunks of 2^18 configurations: their log-terms by kernels::rbm_log_partition_terms,
// each chunk reduced by the LogSumExp kernel, the chunk results combined on the host.
double log_partition_exact_cuda(Context& ctx, const Rbm& rbm, std::int64_t units) {
    const std::uint64_t total = std::uint64_t{1} << units;
    const std::int64_t chunk = static_cast<std::int64_t>(std::min<std::uint64_t>(total, std::uint64_t{1} << 18));
    const std::int64_t chunks = static_cast<std::int64_t>(total / static_cast<std::uint64_t>(chunk));
    auto* scratch = static_cast<float*>(ctx.workspace(sizeof(float) * (chunk * (units + 1) + chunks)));
    float* bits = scratch;
    float* terms = bits + chunk * units;
    float* chunk_lse = terms + chunk;
    for (std::int64_t c = 0; c < chunks; ++c) {
        kernels::rbm_log_partition_terms(rbm_params(ctx, rbm), static_cast<std::uint64_t>(c * chunk), chunk, bits, terms,
                                         ctx.stream());
        kernels::logsumexp_forward(terms, chunk_lse + c, 1, chunk, ctx.stream());
    }
    std::vector<float> values(static_cast<std::size_t>(chunks));
    read_back(ctx, chunk_lse, values.data(), sizeof(float) * values.size());
    double m = -std::numeric_limits<double>::infinity(), s = 0.0;
    for (float v : values) m = std::max(m, static_cast<double>(v));
    for (float v : values) s += std::exp(v - m);
    return m + std::log(s);
}
class CudaRbm final : public RbmOps {
public:
    void conditional(Context& ctx, const Rbm& rbm, const float* in, std::int64_t rows, float* out,
                     bool to_hidden) const override {
        const NvtxRange range("ebmkit.rbm.conditional");
        kernels::RbmHalfSweep::run({rbm_params(ctx, rbm), !to_hidden, in, rows, out}, nullptr, ctx.stream());
    }
    void gibbs_step(Context& ctx, const Rbm& rbm, float* v, float* h, std::int64_t rows,
                    std::uint32_t step) const override {
        const NvtxRange range("ebmkit.rbm.gibbs_step");
        const kernels::RbmParams dev = rbm_params(ctx, rbm);
        using kernels::RbmHalfSweep;
        constexpr auto samples = kernels::RbmUnits::Samples;
        RbmHalfSweep::run({dev, false, v, rows, h, samples, ctx.seed(), 0, step}, nullptr, ctx.stream());
        RbmHalfSweep::run({dev, true, h, rows, v, samples, ctx.seed(), 0, step}, nullptr, ctx.stream());
    }
    void gibbs_chain(Context& ctx, const Rbm& rbm, float* v, float* h, std::int64_t rows, Steps steps,
                     const float* clamp, const float* field) const override {
        const NvtxRange range("ebmkit.rbm.gibbs_chain");
        gibbs_sweeps_cuda(ctx, rbm_params(ctx, rbm), v, h, rows, steps, 0, nullptr, clamp, field);
    }
    void free_energy(Context& ctx, const Rbm& rbm, const float* v, std::int64_t rows, float* f) const override {
        const NvtxRange range("ebmkit.rbm.free_energy");
        kernels::rbm_free_energy(rbm_params(ctx, rbm), v, rows, f, ctx.stream());
    }
    void cd_gradient(Context& ctx, const Rbm& rbm, ConstTensorView data, TensorView chains, Rbm& grad, Steps steps,
                     const RbmShard& shard, const std::uint32_t* step_offset) const override {
        const NvtxRange range("ebmkit.rbm.cd_gradient");
        cd_gradient_cuda(ctx, rbm, data, chains, grad, steps, shard, step_offset);
    }
    void gradient(Context& ctx, const Rbm& rbm, ConstTensorView data, ConstTensorView samples, const RbmShard& shard,
                  Rbm& grad) const override {
        const NvtxRange range("ebmkit.rbm.gradient");
        float* scratch = gradient_scratch(ctx, data.dim(0), samples.dim(0), rbm.visible(), rbm.hidden());
        gradient_statistics_cuda(ctx, rbm, data, samples.data<float>(), samples.dim(0), shard, grad, scratch);
    }
    double log_partition_exact(Context& ctx, const Rbm& rbm, std::int64_t units) const override {
        const NvtxRange range("ebmkit.rbm.log_partition_exact");
        return log_partition_exact_cuda(ctx, rbm, units);
    }
    std::vector<double> ais_log_weights(Context& ctx, const Rbm& rbm, const float* base_b, const float*,
                                        std::int64_t runs, const std::vector<double>& betas) const override {
        const NvtxRange range("ebmkit.rbm.ais_log_weights");
        // Scratch: the log weights (double) first, then the operation's workspace.
        kernels::RbmAis::Arguments a{rbm_params(ctx, rbm), base_b, runs, betas.data(),
                                     static_cast<std::int64_t>(betas.size()), ctx.seed()};
        auto* scratch = static_cast<char*>(ctx.workspace(sizeof(double) * runs + kernels::RbmAis::workspace_bytes(a)));
        auto* log_w = reinterpret_cast<double*>(scratch);
        a.log_w = log_w;
        kernels::RbmAis::run(a, scratch + sizeof(double) * runs, ctx.stream());
        std::vector<double> out(static_cast<std::size_t>(runs));
        read_back(ctx, log_w, out.data(), sizeof(double) * runs);
        return out;
    }
    std::vector<double> raise_log_weights(Context& ctx, const Rbm& rbm, const float* base_b, const float*,
                                          const float* v, std::int64_t rows, std::int64_t runs,
                                          const std::vector<double>& betas) const override {
        const NvtxRange range("ebmkit.rbm.raise_log_weights");
        const std::int64_t chains = rows * runs;
        // Scratch: the log weights (double) first, then the operation's workspace.
        kernels::RbmRaise::Arguments a{rbm_params(ctx, rbm), base_b, v, rows, runs, betas.data(),
                                       static_cast<std::int64_t>(betas.size()), ctx.seed()};
        auto* scratch = static_cast<char*>(ctx.workspace(sizeof(double) * chains + kernels::RbmRaise::workspace_bytes(a)));
        auto* lw = reinterpret_cast<double*>(scratch);
        a.log_w = lw;
        kernels::RbmRaise::run(a, scratch + sizeof(double) * chains, ctx.stream());
        std::vector<double> out(static_cast<std::size_t>(chains));
        read_back(ctx, lw, out.data(), sizeof(double) * chains);
        return out;
    }
    void pseudo_log_likelihood(Context& ctx, const Rbm& rbm, ConstTensorView v, TensorView out) const override {
        const NvtxRange range("ebmkit.rbm.pseudo_log_likelihood");
        const kernels::RbmParams dev = rbm_params(ctx, rbm);
        if (kernels::rbm_pseudo_log_likelihood_fits(dev)) {
            return kernels::rbm_pseudo_log_likelihood(dev, v.data<float>(), v.dim(0), out.data<float>(), ctx.stream());
        }
        // Too many hidden units for the kernel's shared memory: the host computes it from copies.
        const Rbm host_rbm = rbm.to(Device::Host);
        Tensor host_v(v.shape()), host_out({v.dim(0)});
        copy(v, host_v);
        cpu::pseudo_log_likelihood(cpu::params_of(host_rbm), host_v.data<float>(), v.dim(0), host_out.data<float>());
        copy(host_out, out);
    }
    void follow_mean(Context& ctx, float* offset, const float* x, std::int64_t rows, std::int64_t cols,
                     float rate) const override {
        const NvtxRange range("ebmkit.rbm.follow_mean");
        kernels::centering_offsets(offset, x, rows, cols, rate, ctx.stream());
    }
    void center_gradient(Context& ctx, Rbm& grad, const float* mu, const float* lambda) const override {
        const NvtxRange range("ebmkit.rbm.center_gradient");
        kernels::centered_gradient(grad.w().data<float>(), grad.b().data<float>(), grad.c().data<float>(), mu, lambda,
                                   grad.visible(), grad.hidden(), ctx.stream());
    }
};

}  // namespace

const RbmOps& cuda_rbm_ops() {
    static const CudaRbm ops;
    return ops;
}

}  // namespace ebmkit::detail
