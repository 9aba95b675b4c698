#include "ebmkit/mlp.hpp"

#include <cmath>
#include <string>

#include "check.hpp"
#include "ebmkit/philox.hpp"
#include "ops/ops.hpp"
#include "param_layout.hpp"

namespace ebmkit {

MlpEnergy::MlpEnergy(std::vector<std::int64_t> widths, Activation activation, Device device)
    : widths_(std::move(widths)), activation_(activation), device_(device) {
    if (widths_.size() < 2) {
        throw Error("MlpEnergy: widths needs at least {input, K}, got " + std::to_string(widths_.size()) +
                    " entries");
    }
    for (std::size_t l = 0; l < widths_.size(); ++l) {
        if (widths_[l] < 1) {
            throw Error("MlpEnergy: widths[" + std::to_string(l) + "] must be >= 1, got " +
                        std::to_string(widths_[l]));
        }
    }
    if (activation_.kind == ActivationKind::LeakyRelu) {
        detail::check_finite("MlpEnergy", "activation.leaky_slope", activation_.leaky_slope);
    }
    std::vector<std::int64_t> sizes;
    for (std::size_t l = 0; l + 1 < widths_.size(); ++l) {
        sizes.push_back(widths_[l + 1] * widths_[l]);
        sizes.push_back(widths_[l + 1]);
    }
    std::int64_t total = 0;
    offsets_ = detail::packed_offsets(sizes, total);
    flat_ = Tensor::zeros({total}, DType::F32, device);
}

TensorView MlpEnergy::weight(int layer) {
    return {flat_.data<float>() + offsets_.at(2 * static_cast<std::size_t>(layer)),
            {widths_[layer + 1], widths_[layer]}, DType::F32, device_};
}

ConstTensorView MlpEnergy::weight(int layer) const {
    return {flat_.data<float>() + offsets_.at(2 * static_cast<std::size_t>(layer)),
            {widths_[layer + 1], widths_[layer]}, DType::F32, device_};
}

TensorView MlpEnergy::bias(int layer) {
    return {flat_.data<float>() + offsets_.at(2 * static_cast<std::size_t>(layer) + 1), {widths_[layer + 1]},
            DType::F32, device_};
}

ConstTensorView MlpEnergy::bias(int layer) const {
    return {flat_.data<float>() + offsets_.at(2 * static_cast<std::size_t>(layer) + 1), {widths_[layer + 1]},
            DType::F32, device_};
}

void MlpEnergy::init_uniform(std::uint64_t seed) {
    const PhiloxKey key = philox_key(seed);
    for (int l = 0; l < num_layers(); ++l) {
        const float bound = 1.0f / std::sqrt(static_cast<float>(widths_[l]));
        // Chain 2l draws the weights, chain 2l+1 the biases.
        for (int part = 0; part < 2; ++part) {
            const TensorView target = part == 0 ? weight(l) : bias(l);
            std::vector<float> values(static_cast<std::size_t>(target.numel()));
            for (std::size_t i = 0; i < values.size(); i += 4) {
                float u[4];
                uniform4(philox4x32_10(philox_counter(RngPurpose::ParamInit, static_cast<std::uint32_t>(2 * l + part),
                                                      0, static_cast<std::uint32_t>(i / 4)),
                                       key),
                         u);
                for (std::size_t j = i; j < std::min(i + 4, values.size()); ++j) {
                    values[j] = bound * (2.0f * u[j - i] - 1.0f);
                }
            }
            const Tensor drawn = Tensor::from(values, target.shape());
            target.copy_from(drawn);
        }
    }
}

std::vector<TensorView> MlpEnergy::parameters() {
    std::vector<TensorView> out;
    for (int l = 0; l < num_layers(); ++l) {
        out.push_back(weight(l));
        out.push_back(bias(l));
    }
    return out;
}

std::vector<ConstTensorView> MlpEnergy::parameters() const {
    std::vector<ConstTensorView> out;
    for (int l = 0; l < num_layers(); ++l) {
        out.push_back(weight(l));
        out.push_back(bias(l));
    }
    return out;
}

MlpEnergy MlpEnergy::zeros_like() const { return MlpEnergy(widths_, activation_, device_); }

MlpEnergy MlpEnergy::to(Device device) const {
    MlpEnergy out(widths_, activation_, device);
    out.flat_.copy_from(flat_);
    return out;
}

namespace detail {

void check_model(const char* op, const Context& ctx, const MlpEnergy& model) {
    if (model.device() != ctx.device()) {
        fail(std::string(op) + ": model lives on " + to_string(model.device()) + " but the context computes on " +
             to_string(ctx.device()));
    }
}

void check_input(const char* op, const Context& ctx, const MlpEnergy& model, ConstTensorView x) {
    check_model(op, ctx, model);
    check_tensor(op, "x", x, {any_dim, model.input_dim()}, DType::F32, ctx.device());
}

void check_labels(const char* op, const Context& ctx, const MlpEnergy& model, ConstTensorView labels,
                  std::int64_t rows) {
    check_tensor(op, "labels", labels, {rows}, DType::I32, ctx.device());
    Tensor host({rows}, DType::I32);
    copy(labels, host);
    const std::int32_t* y = host.data<std::int32_t>();
    for (std::int64_t r = 0; r < rows; ++r) {
        if (y[r] < 0 || y[r] >= model.num_outputs()) {
            fail(std::string(op) + ": labels[" + std::to_string(r) + "] = " + std::to_string(y[r]) +
                 " is outside [0, " + std::to_string(model.num_outputs()) + ")");
        }
    }
}

}  // namespace detail

namespace {

void check_grad_holder(const char* op, const Context& ctx, const MlpEnergy& model, const MlpEnergy& grad) {
    detail::check_model(op, ctx, grad);
    if (grad.widths() != model.widths()) {
        detail::fail(std::string(op) + ": grad must have the model's widths");
    }
}

}  // namespace

bool uses_fused_mlp(Context& ctx, const MlpEnergy& model, std::int64_t rows) {
    return detail::ops(ctx).mlp.uses_fused(ctx, model, rows);
}

void mlp_logits(Context& ctx, const MlpEnergy& model, ConstTensorView x, TensorView logits) {
    constexpr const char* op = "mlp_logits";
    detail::check_input(op, ctx, model, x);
    detail::check_tensor(op, "logits", logits, {x.dim(0), model.num_outputs()}, DType::F32, ctx.device());
    detail::ops(ctx).mlp.logits(op, ctx, model, x, logits.data<float>());
}

void energy(Context& ctx, const MlpEnergy& model, ConstTensorView x, TensorView energy) {
    constexpr const char* op = "energy";
    detail::check_input(op, ctx, model, x);
    detail::check_tensor(op, "energy", energy, {x.dim(0)}, DType::F32, ctx.device());
    detail::ops(ctx).mlp.energy(op, ctx, model, x, nullptr, energy.data<float>(), nullptr);
}

void energy(Context& ctx, const MlpEnergy& model, ConstTensorView x, ConstTensorView labels, TensorView energy) {
    constexpr const char* op = "energy";
    detail::check_input(op, ctx, model, x);
    detail::check_labels(op, ctx, model, labels, x.dim(0));
    detail::check_tensor(op, "energy", energy, {x.dim(0)}, DType::F32, ctx.device());
    detail::ops(ctx).mlp.energy(op, ctx, model, x, labels.data<std::int32_t>(), energy.data<float>(), nullptr);
}

void energy_grad_x(Context& ctx, const MlpEnergy& model, ConstTensorView x, TensorView grad) {
    constexpr const char* op = "energy_grad_x";
    detail::check_input(op, ctx, model, x);
    detail::check_tensor(op, "grad", grad, {x.dim(0), model.input_dim()}, DType::F32, ctx.device());
    detail::check_no_alias(op, "x", x, "grad", grad);
    detail::ops(ctx).mlp.energy(op, ctx, model, x, nullptr, nullptr, grad.data<float>());
}

void energy_grad_x(Context& ctx, const MlpEnergy& model, ConstTensorView x, ConstTensorView labels,
                   TensorView grad) {
    constexpr const char* op = "energy_grad_x";
    detail::check_input(op, ctx, model, x);
    detail::check_labels(op, ctx, model, labels, x.dim(0));
    detail::check_tensor(op, "grad", grad, {x.dim(0), model.input_dim()}, DType::F32, ctx.device());
    detail::check_no_alias(op, "x", x, "grad", grad);
    detail::ops(ctx).mlp.energy(op, ctx, model, x, labels.data<std::int32_t>(), nullptr, grad.data<float>());
}

void energy_and_grad_x(Context& ctx, const MlpEnergy& model, ConstTensorView x, TensorView energy, TensorView grad) {
    energy_and_grad_x(ctx, model, x, ConstTensorView(), energy, grad);
}

void energy_and_grad_x(Context& ctx, const MlpEnergy& model, ConstTensorView x, ConstTensorView labels,
                       TensorView energy, TensorView grad) {
    constexpr const char* op = "energy_and_grad_x";
    detail::check_input(op, ctx, model, x);
    const bool conditional = labels.raw() != nullptr;
    if (conditional) detail::check_labels(op, ctx, model, labels, x.dim(0));
    const std::int32_t* y = conditional ? labels.data<std::int32_t>() : nullptr;
    detail::check_tensor(op, "energy", energy, {x.dim(0)}, DType::F32, ctx.device());
    detail::check_tensor(op, "grad", grad, {x.dim(0), model.input_dim()}, DType::F32, ctx.device());
    detail::check_no_alias(op, "x", x, "grad", grad);
    detail::check_no_alias(op, "energy", energy, "grad", grad);
    detail::ops(ctx).mlp.energy(op, ctx, model, x, y, energy.data<float>(), grad.data<float>());
}

void param_grad(Context& ctx, const MlpEnergy& model, ConstTensorView x, ConstTensorView dlogits, MlpEnergy& grad,
                bool accumulate) {
    constexpr const char* op = "param_grad";
    detail::check_input(op, ctx, model, x);
    detail::check_tensor(op, "dlogits", dlogits, {x.dim(0), model.num_outputs()}, DType::F32, ctx.device());
    check_grad_holder(op, ctx, model, grad);
    if (&grad == &model) detail::fail(std::string(op) + ": grad must not be the model itself");
    detail::ops(ctx).mlp.param_grad(op, ctx, model, x, dlogits.data<float>(), grad, accumulate);
}

}  // namespace ebmkit
