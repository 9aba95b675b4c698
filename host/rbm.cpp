#include "ebmkit/rbm.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "check.hpp"
#include "cpu/rbm.hpp"
#include "ebmkit/philox.hpp"
#if EBMKIT_WITH_CUDA
#include "kernels/columns.hpp"
#include "kernels/logsumexp.hpp"
#include "kernels/rbm.hpp"
#include "kernels/rbm_eval.hpp"
#include "rbm_params.hpp"
#endif

namespace ebmkit {

Rbm::Rbm(std::int64_t visible, std::int64_t hidden, Device device) {
    if (visible < 1 || hidden < 1) {
        throw Error("Rbm: visible and hidden must be >= 1, got visible = " + std::to_string(visible) +
                    ", hidden = " + std::to_string(hidden));
    }
    w_ = Tensor::zeros({visible, hidden}, DType::F32, device);
    b_ = Tensor::zeros({visible}, DType::F32, device);
    c_ = Tensor::zeros({hidden}, DType::F32, device);
}

void Rbm::init_normal(std::uint64_t seed, float scale) {
    detail::check_finite("Rbm::init_normal", "scale", scale);
    const PhiloxKey key = philox_key(seed);
    std::vector<float> w(static_cast<std::size_t>(w_.numel()));
    for (std::size_t i = 0; i < w.size(); i += 4) {
        float n[4];
        normal4(philox4x32_10(philox_counter(RngPurpose::ParamInit, 0, 0, static_cast<std::uint32_t>(i / 4)), key), n);
        for (std::size_t j = i; j < std::min(i + 4, w.size()); ++j) w[j] = scale * n[j - i];
    }
    const Tensor drawn = Tensor::from(w, w_.shape());
    w_.copy_from(drawn);
    const Tensor zero_b = Tensor::zeros(b_.shape()), zero_c = Tensor::zeros(c_.shape());
    b_.copy_from(zero_b);
    c_.copy_from(zero_c);
}

Rbm Rbm::zeros_like() const { return Rbm(visible(), hidden(), device()); }

Rbm Rbm::to(Device device) const {
    Rbm out(visible(), hidden(), device);
    out.w_.copy_from(w_);
    out.b_.copy_from(b_);
    out.c_.copy_from(c_);
    return out;
}

namespace {

#if EBMKIT_WITH_CUDA
// k sweeps of the chains v [rows, D] (h [rows, M] the last hidden sample): one on-chip
// launch where the chains fit, else a launch per half-sweep; the same draws either way.
void gibbs_sweeps_cuda(Context& ctx, const kernels::RbmParams& dev, float* v, float* h, std::int64_t rows,
                       std::uint32_t first_step, int k, std::uint32_t first_chain = 0) {
    if (kernels::rbm_gibbs_chain_rows(dev, rows) > 0) {
        return kernels::rbm_gibbs_chain(dev, v, h, rows, ctx.seed(), first_chain, first_step, k, ctx.stream());
    }
    for (int sweep = 0; sweep < k; ++sweep) {
        const std::uint32_t step = first_step + static_cast<std::uint32_t>(sweep);
        kernels::rbm_hidden(dev, v, rows, h, kernels::RbmUnits::Samples, ctx.seed(), first_chain, step, ctx.stream());
        kernels::rbm_visible(dev, h, rows, v, kernels::RbmUnits::Samples, ctx.seed(), first_chain, step, ctx.stream());
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
    const kernels::RbmParams dev = detail::rbm_params(ctx, rbm);
    float* ph = scratch;
    float* h = scratch + n * m;
    float* partials = h + s * m;
    kernels::rbm_hidden(dev, data.data<float>(), n, ph, kernels::RbmUnits::Probabilities, 0, 0, 0, ctx.stream());
    kernels::outer_product_sum(ctx.cublas(), data.data<float>(), ph, n, d, m, data_scale, false, ctx.precision(), grad.w().data<float>());
    kernels::scaled_column_sums(data.data<float>(), n, d, data_scale, false, grad.b().data<float>(), partials, ctx.stream());
    kernels::scaled_column_sums(ph, n, m, data_scale, false, grad.c().data<float>(), partials, ctx.stream());
    kernels::rbm_hidden(dev, samples, s, h, kernels::RbmUnits::Probabilities, 0, 0, 0, ctx.stream());
    kernels::outer_product_sum(ctx.cublas(), samples, h, s, d, m, sample_scale, true, ctx.precision(), grad.w().data<float>());
    kernels::scaled_column_sums(samples, s, d, sample_scale, true, grad.b().data<float>(), partials, ctx.stream());
    kernels::scaled_column_sums(h, s, m, sample_scale, true, grad.c().data<float>(), partials, ctx.stream());
}

// k sweeps of the chains (their hidden samples in the scratch's sample rows), then the statistics.
void cd_gradient_cuda(Context& ctx, const Rbm& rbm, ConstTensorView data, TensorView chains, int k,
                      std::uint32_t first_step, const RbmShard& shard, Rbm& grad) {
    const std::int64_t n = data.dim(0), s = chains.dim(0), m = rbm.hidden();
    float* scratch = gradient_scratch(ctx, n, s, rbm.visible(), m);
    gibbs_sweeps_cuda(ctx, detail::rbm_params(ctx, rbm), chains.data<float>(), scratch + n * m, s, first_step, k,
                      shard.first_chain);
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
        kernels::rbm_log_partition_terms(detail::rbm_params(ctx, rbm), static_cast<std::uint64_t>(c * chunk), chunk, bits, terms,
                                         ctx.stream());
        kernels::logsumexp_forward(terms, chunk_lse + c, 1, chunk, ctx.stream());
    }
    Tensor partial({chunks});
    copy(ConstTensorView(chunk_lse, {chunks}, DType::F32, Device::Cuda), partial);
    const std::vector<float> values = partial.to_vector<float>();
    double m = -std::numeric_limits<double>::infinity(), s = 0.0;
    for (float v : values) m = std::max(m, static_cast<double>(v));
    for (float v : values) s += std::exp(v - m);
    return m + std::log(s);
}
#endif

}  // namespace

namespace detail {

void check_model(const char* op, const Context& ctx, const Rbm& rbm) {
    if (rbm.device() != ctx.device()) {
        fail(std::string(op) + ": rbm lives on " + to_string(rbm.device()) + " but the context computes on " +
             to_string(ctx.device()));
    }
}

}  // namespace detail

namespace {

void check_grad(const char* op, const Rbm& rbm, const Rbm& grad) {
    if (&grad == &rbm) detail::fail(std::string(op) + ": grad must not be the rbm itself");
    if (grad.visible() != rbm.visible() || grad.hidden() != rbm.hidden() || grad.device() != rbm.device()) {
        detail::fail(std::string(op) + ": grad must have the rbm's shape and device");
    }
}

// A shard's global row counts cover at least its own rows.
void check_shard(const char* op, const RbmShard& shard, std::int64_t data_rows, std::int64_t sample_rows) {
    if (shard.data_rows != 0 && shard.data_rows < data_rows) {
        detail::fail(std::string(op) + ": shard.data_rows " + std::to_string(shard.data_rows) +
                     " is fewer than the data's " + std::to_string(data_rows) + " rows");
    }
    if (shard.sample_rows != 0 && shard.sample_rows < sample_rows) {
        detail::fail(std::string(op) + ": shard.sample_rows " + std::to_string(shard.sample_rows) +
                     " is fewer than the " + std::to_string(sample_rows) + " rows of samples");
    }
}

// p(h | v) (to_hidden) or p(v | h): in [N, from] -> out [N, to].
void conditional_probs(const char* op, Context& ctx, const Rbm& rbm, ConstTensorView in, TensorView out, bool to_hidden) {
    const char* in_name = to_hidden ? "v" : "h";
    const char* out_name = to_hidden ? "ph" : "pv";
    const std::int64_t from = to_hidden ? rbm.visible() : rbm.hidden(), to = to_hidden ? rbm.hidden() : rbm.visible();
    detail::check_model(op, ctx, rbm);
    detail::check_tensor(op, in_name, in, {detail::any_dim, from}, DType::F32, ctx.device());
    detail::check_tensor(op, out_name, out, {in.dim(0), to}, DType::F32, ctx.device());
    detail::check_no_alias(op, in_name, in, out_name, out);
#if EBMKIT_WITH_CUDA
    if (ctx.backend() == Backend::Cuda) {
        const auto launch = to_hidden ? kernels::rbm_hidden : kernels::rbm_visible;
        return launch(detail::rbm_params(ctx, rbm), in.data<float>(), in.dim(0), out.data<float>(),
                      kernels::RbmUnits::Probabilities, 0, 0, 0, ctx.stream());
    }
#endif
    const auto reference = to_hidden ? cpu::rbm_hidden_probs : cpu::rbm_visible_probs;
    reference(cpu::params_of(rbm), in.data<float>(), in.dim(0), out.data<float>());
}

}  // namespace

void rbm_hidden_probs(Context& ctx, const Rbm& rbm, ConstTensorView v, TensorView ph) {
    conditional_probs("rbm_hidden_probs", ctx, rbm, v, ph, true);
}

void rbm_visible_probs(Context& ctx, const Rbm& rbm, ConstTensorView h, TensorView pv) {
    conditional_probs("rbm_visible_probs", ctx, rbm, h, pv, false);
}

void gibbs_step(Context& ctx, const Rbm& rbm, TensorView v, TensorView h, std::uint32_t step) {
    constexpr const char* op = "gibbs_step";
    detail::check_model(op, ctx, rbm);
    detail::check_tensor(op, "v", v, {detail::any_dim, rbm.visible()}, DType::F32, ctx.device());
    detail::check_tensor(op, "h", h, {v.dim(0), rbm.hidden()}, DType::F32, ctx.device());
    detail::check_no_alias(op, "v", v, "h", h);
#if EBMKIT_WITH_CUDA
    if (ctx.backend() == Backend::Cuda) {
        const kernels::RbmParams dev = detail::rbm_params(ctx, rbm);
        kernels::rbm_hidden(dev, v.data<float>(), v.dim(0), h.data<float>(), kernels::RbmUnits::Samples, ctx.seed(), 0,
                            step, ctx.stream());
        kernels::rbm_visible(dev, h.data<float>(), v.dim(0), v.data<float>(), kernels::RbmUnits::Samples, ctx.seed(), 0,
                             step, ctx.stream());
        return;
    }
#endif
    cpu::gibbs_step(cpu::params_of(rbm), v.data<float>(), h.data<float>(), v.dim(0), ctx.seed(), step);
}

void gibbs_chain(Context& ctx, const Rbm& rbm, TensorView v, TensorView h, std::uint32_t first_step, int k) {
    constexpr const char* op = "gibbs_chain";
    detail::check_model(op, ctx, rbm);
    detail::check_tensor(op, "v", v, {detail::any_dim, rbm.visible()}, DType::F32, ctx.device());
    detail::check_tensor(op, "h", h, {v.dim(0), rbm.hidden()}, DType::F32, ctx.device());
    detail::check_no_alias(op, "v", v, "h", h);
    if (k < 0) detail::fail(std::string(op) + ": k must be >= 0, got " + std::to_string(k));
#if EBMKIT_WITH_CUDA
    if (ctx.backend() == Backend::Cuda) {
        return gibbs_sweeps_cuda(ctx, detail::rbm_params(ctx, rbm), v.data<float>(), h.data<float>(), v.dim(0),
                                 first_step, k);
    }
#endif
    for (int s = 0; s < k; ++s) {
        cpu::gibbs_step(cpu::params_of(rbm), v.data<float>(), h.data<float>(), v.dim(0), ctx.seed(),
                        first_step + static_cast<std::uint32_t>(s));
    }
}

void free_energy(Context& ctx, const Rbm& rbm, ConstTensorView v, TensorView f) {
    constexpr const char* op = "free_energy";
    detail::check_model(op, ctx, rbm);
    detail::check_tensor(op, "v", v, {detail::any_dim, rbm.visible()}, DType::F32, ctx.device());
    detail::check_tensor(op, "f", f, {v.dim(0)}, DType::F32, ctx.device());
    detail::check_no_alias(op, "v", v, "f", f);
#if EBMKIT_WITH_CUDA
    if (ctx.backend() == Backend::Cuda) {
        kernels::rbm_free_energy(detail::rbm_params(ctx, rbm), v.data<float>(), v.dim(0), f.data<float>(), ctx.stream());
        return;
    }
#endif
    cpu::free_energy(cpu::params_of(rbm), v.data<float>(), v.dim(0), f.data<float>());
}

void cd_gradient(Context& ctx, const Rbm& rbm, ConstTensorView data, TensorView chains, int k,
                 std::uint32_t first_step, Rbm& grad, const RbmShard& shard) {
    constexpr const char* op = "cd_gradient";
    detail::check_model(op, ctx, rbm);
    detail::check_tensor(op, "data", data, {detail::any_dim, rbm.visible()}, DType::F32, ctx.device());
    detail::check_tensor(op, "chains", chains, {detail::any_dim, rbm.visible()}, DType::F32, ctx.device());
    detail::check_no_alias(op, "data", data, "chains", chains);
    if (k < 1) detail::fail(std::string(op) + ": k must be >= 1, got " + std::to_string(k));
    check_grad(op, rbm, grad);
    check_shard(op, shard, data.dim(0), chains.dim(0));
#if EBMKIT_WITH_CUDA
    if (ctx.backend() == Backend::Cuda) {
        cd_gradient_cuda(ctx, rbm, data, chains, k, first_step, shard, grad);
        return;
    }
#endif
    cpu::cd_gradient(cpu::params_of(rbm), data.data<float>(), data.dim(0), chains.data<float>(), chains.dim(0), k,
                     ctx.seed(), first_step, shard, cpu::params_of(grad));
}

void rbm_gradient(Context& ctx, const Rbm& rbm, ConstTensorView data, ConstTensorView samples, Rbm& grad,
                  const RbmShard& shard) {
    constexpr const char* op = "rbm_gradient";
    detail::check_model(op, ctx, rbm);
    detail::check_tensor(op, "data", data, {detail::any_dim, rbm.visible()}, DType::F32, ctx.device());
    detail::check_tensor(op, "samples", samples, {detail::any_dim, rbm.visible()}, DType::F32, ctx.device());
    check_grad(op, rbm, grad);
    check_shard(op, shard, data.dim(0), samples.dim(0));
#if EBMKIT_WITH_CUDA
    if (ctx.backend() == Backend::Cuda) {
        float* scratch = gradient_scratch(ctx, data.dim(0), samples.dim(0), rbm.visible(), rbm.hidden());
        return gradient_statistics_cuda(ctx, rbm, data, samples.data<float>(), samples.dim(0), shard, grad, scratch);
    }
#endif
    cpu::rbm_gradient(cpu::params_of(rbm), data.data<float>(), data.dim(0), samples.data<float>(), samples.dim(0), shard,
                      cpu::params_of(grad));
}

double log_partition_exact(Context& ctx, const Rbm& rbm) {
    constexpr const char* op = "log_partition_exact";
    detail::check_model(op, ctx, rbm);
    const std::int64_t smaller = std::min(rbm.visible(), rbm.hidden());
    if (smaller > 25) {
        detail::fail(std::string(op) + ": the smaller layer has " + std::to_string(smaller) +
                     " units; exact enumeration supports at most 25");
    }
#if EBMKIT_WITH_CUDA
    if (ctx.backend() == Backend::Cuda) return log_partition_exact_cuda(ctx, rbm, smaller);
#endif
    return cpu::log_partition_exact(cpu::params_of(rbm));
}

}  // namespace ebmkit
