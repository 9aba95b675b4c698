#include "ebmkit/rbm.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "check.hpp"
#include "ebmkit/philox.hpp"
#include "ops/ops.hpp"
#include "param_layout.hpp"

namespace ebmkit {

Rbm::Rbm(std::int64_t visible, std::int64_t hidden, Device device) : visible_(visible), hidden_(hidden) {
    if (visible < 1 || hidden < 1) {
        throw Error("Rbm: visible and hidden must be >= 1, got visible = " + std::to_string(visible) +
                    ", hidden = " + std::to_string(hidden));
    }
    std::int64_t total = 0;
    offsets_ = detail::packed_offsets({visible * hidden, visible, hidden}, total);
    flat_ = Tensor::zeros({total}, DType::F32, device);
}

TensorView Rbm::w() { return {flat_.data<float>() + offsets_[0], {visible_, hidden_}, DType::F32, device()}; }
ConstTensorView Rbm::w() const { return {flat_.data<float>() + offsets_[0], {visible_, hidden_}, DType::F32, device()}; }
TensorView Rbm::b() { return {flat_.data<float>() + offsets_[1], {visible_}, DType::F32, device()}; }
ConstTensorView Rbm::b() const { return {flat_.data<float>() + offsets_[1], {visible_}, DType::F32, device()}; }
TensorView Rbm::c() { return {flat_.data<float>() + offsets_[2], {hidden_}, DType::F32, device()}; }
ConstTensorView Rbm::c() const { return {flat_.data<float>() + offsets_[2], {hidden_}, DType::F32, device()}; }

void Rbm::init_normal(std::uint64_t seed, float scale) {
    detail::check_finite("Rbm::init_normal", "scale", scale);
    const PhiloxKey key = philox_key(seed);
    std::vector<float> w(static_cast<std::size_t>(visible_ * hidden_));
    for (std::size_t i = 0; i < w.size(); i += 4) {
        float n[4];
        normal4(philox4x32_10(philox_counter(RngPurpose::ParamInit, 0, 0, static_cast<std::uint32_t>(i / 4)), key), n);
        for (std::size_t j = i; j < std::min(i + 4, w.size()); ++j) w[j] = scale * n[j - i];
    }
    const Tensor drawn = Tensor::from(w, {visible_, hidden_});
    this->w().copy_from(drawn);
    const Tensor zero_b = Tensor::zeros({visible_}), zero_c = Tensor::zeros({hidden_});
    b().copy_from(zero_b);
    c().copy_from(zero_c);
}

Rbm Rbm::zeros_like() const { return Rbm(visible(), hidden(), device()); }

Rbm Rbm::to(Device device) const {
    Rbm out(visible(), hidden(), device);
    out.flat_.copy_from(flat_);
    return out;
}

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
    detail::ops(ctx).rbm.conditional(ctx, rbm, in.data<float>(), in.dim(0), out.data<float>(), to_hidden);
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
    detail::ops(ctx).rbm.gibbs_step(ctx, rbm, v.data<float>(), h.data<float>(), v.dim(0), step);
}

void gibbs_chain(Context& ctx, const Rbm& rbm, TensorView v, TensorView h, Steps steps) {
    constexpr const char* op = "gibbs_chain";
    detail::check_model(op, ctx, rbm);
    detail::check_tensor(op, "v", v, {detail::any_dim, rbm.visible()}, DType::F32, ctx.device());
    detail::check_tensor(op, "h", h, {v.dim(0), rbm.hidden()}, DType::F32, ctx.device());
    detail::check_no_alias(op, "v", v, "h", h);
    detail::ops(ctx).rbm.gibbs_chain(ctx, rbm, v.data<float>(), h.data<float>(), v.dim(0), steps, nullptr, nullptr);
}

void gibbs_chain(Context& ctx, const Rbm& rbm, TensorView v, TensorView h, Steps steps, const VisibleEvidence& evidence) {
    constexpr const char* op = "gibbs_chain";
    detail::check_model(op, ctx, rbm);
    detail::check_tensor(op, "v", v, {detail::any_dim, rbm.visible()}, DType::F32, ctx.device());
    detail::check_tensor(op, "h", h, {v.dim(0), rbm.hidden()}, DType::F32, ctx.device());
    detail::check_no_alias(op, "v", v, "h", h);
    for (const auto& [name, part] : {std::pair{"evidence.clamp", evidence.clamp}, std::pair{"evidence.field", evidence.field}}) {
        if (!part.raw()) continue;
        detail::check_tensor(op, name, part, {v.dim(0), rbm.visible()}, DType::F32, ctx.device());
        detail::check_no_alias(op, "v", v, name, part);
    }
    detail::ops(ctx).rbm.gibbs_chain(ctx, rbm, v.data<float>(), h.data<float>(), v.dim(0), steps,
                                     evidence.clamp.raw() ? evidence.clamp.data<float>() : nullptr,
                                     evidence.field.raw() ? evidence.field.data<float>() : nullptr);
}

void free_energy(Context& ctx, const Rbm& rbm, ConstTensorView v, TensorView f) {
    constexpr const char* op = "free_energy";
    detail::check_model(op, ctx, rbm);
    detail::check_tensor(op, "v", v, {detail::any_dim, rbm.visible()}, DType::F32, ctx.device());
    detail::check_tensor(op, "f", f, {v.dim(0)}, DType::F32, ctx.device());
    detail::check_no_alias(op, "v", v, "f", f);
    detail::ops(ctx).rbm.free_energy(ctx, rbm, v.data<float>(), v.dim(0), f.data<float>());
}

void cd_gradient(Context& ctx, const Rbm& rbm, ConstTensorView data, TensorView chains, Rbm& grad, Steps steps,
                 const RbmShard& shard) {
    constexpr const char* op = "cd_gradient";
    detail::check_model(op, ctx, rbm);
    detail::check_tensor(op, "data", data, {detail::any_dim, rbm.visible()}, DType::F32, ctx.device());
    detail::check_tensor(op, "chains", chains, {detail::any_dim, rbm.visible()}, DType::F32, ctx.device());
    detail::check_no_alias(op, "data", data, "chains", chains);
    if (steps.count < 1) detail::fail(std::string(op) + ": steps.count (CD's k) must be >= 1, got 0");
    check_grad(op, rbm, grad);
    check_shard(op, shard, data.dim(0), chains.dim(0));
    detail::ops(ctx).rbm.cd_gradient(ctx, rbm, data, chains, grad, steps, shard, nullptr);
}

void rbm_gradient(Context& ctx, const Rbm& rbm, ConstTensorView data, ConstTensorView samples, Rbm& grad,
                  const RbmShard& shard) {
    constexpr const char* op = "rbm_gradient";
    detail::check_model(op, ctx, rbm);
    detail::check_tensor(op, "data", data, {detail::any_dim, rbm.visible()}, DType::F32, ctx.device());
    detail::check_tensor(op, "samples", samples, {detail::any_dim, rbm.visible()}, DType::F32, ctx.device());
    check_grad(op, rbm, grad);
    check_shard(op, shard, data.dim(0), samples.dim(0));
    detail::ops(ctx).rbm.gradient(ctx, rbm, data, samples, shard, grad);
}

double log_partition_exact(Context& ctx, const Rbm& rbm) {
    constexpr const char* op = "log_partition_exact";
    detail::check_model(op, ctx, rbm);
    const std::int64_t smaller = std::min(rbm.visible(), rbm.hidden());
    if (smaller > 25) {
        detail::fail(std::string(op) + ": the smaller layer has " + std::to_string(smaller) +
                     " units; exact enumeration supports at most 25");
    }
    return detail::ops(ctx).rbm.log_partition_exact(ctx, rbm, smaller);
}

}  // namespace ebmkit
