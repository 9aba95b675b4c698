#include "ebmkit/optim.hpp"

#include <cmath>
#include <string>

#include "check.hpp"
#include "ops/ops.hpp"

namespace ebmkit {

namespace {

void check_options(const OptimizerOptions& o) {
    constexpr const char* op = "Optimizer";
    detail::check_positive(op, "options.lr", o.lr);
    detail::check_non_negative(op, "options.weight_decay", o.weight_decay);
    detail::check_positive(op, "options.eps", o.eps);
    auto unit = [&](const char* name, float v) {
        if (!(v >= 0.0f && v < 1.0f)) detail::fail(std::string(op) + ": " + name + " must be in [0, 1), got " + std::to_string(v));
    };
    unit("options.momentum", o.momentum);
    unit("options.beta1", o.beta1);
    unit("options.beta2", o.beta2);
}

}  // namespace

Optimizer::Optimizer(const std::vector<ConstTensorView>& parameters, const OptimizerOptions& options)
    : options_(options) {
    check_options(options);
    for (std::size_t i = 0; i < parameters.size(); ++i) {
        const ConstTensorView& p = parameters[i];
        if (p.empty() || p.dtype() != DType::F32) {
            detail::fail("Optimizer: parameter " + std::to_string(i) + " must be a non-empty float32 tensor");
        }
        first_.push_back(Tensor::zeros(p.shape(), DType::F32, p.device()));
        second_.push_back(options.kind == OptimizerKind::Sgd ? Tensor() : Tensor::zeros(p.shape(), DType::F32, p.device()));
    }
}

void Optimizer::set_lr(float lr) {
    detail::check_positive("Optimizer::set_lr", "lr", lr);
    options_.lr = lr;
}

void Optimizer::step(Context& ctx, MlpEnergy& model, const MlpEnergy& grad) {
    constexpr const char* op = "Optimizer::step";
    detail::check_model(op, ctx, model);
    detail::check_model(op, ctx, grad);
    if (grad.widths() != model.widths()) detail::fail(std::string(op) + ": grad must have the model's widths");
    step(ctx, model.parameters(), grad.parameters());
}

void Optimizer::step(Context& ctx, const std::vector<TensorView>& parameters, const std::vector<ConstTensorView>& grads) {
    constexpr const char* op = "Optimizer::step";
    if (parameters.size() != first_.size() || grads.size() != first_.size()) {
        detail::fail(std::string(op) + ": the optimizer was made for " + std::to_string(first_.size()) +
                     " parameters, got " + std::to_string(parameters.size()) + " and " + std::to_string(grads.size()) +
                     " gradients");
    }
    for (std::size_t i = 0; i < parameters.size(); ++i) {
        const std::string name = "parameter " + std::to_string(i);
        if (!(parameters[i].shape() == first_[i].shape())) {
            detail::fail(std::string(op) + ": " + name + " is " + parameters[i].shape().str() +
                         ", the optimizer was made for " + first_[i].shape().str());
        }
        for (const ConstTensorView& t : {ConstTensorView(parameters[i]), grads[i]}) {
            if (t.raw() == nullptr || t.dtype() != DType::F32 || t.device() != ctx.device()) {
                detail::fail(std::string(op) + ": " + name + " and its gradient must be float32 tensors on " +
                             to_string(ctx.device()));
            }
        }
        if (!(grads[i].shape() == first_[i].shape())) {
            detail::fail(std::string(op) + ": gradient " + std::to_string(i) + " is " + grads[i].shape().str() +
                         ", its parameter " + first_[i].shape().str());
        }
        detail::check_no_alias(op, name.c_str(), parameters[i], "its gradient", grads[i]);
    }
    ++steps_;
    const auto t = static_cast<double>(steps_);
    const kernels::OptimizerStep s{options_.kind,
                                   options_.lr,
                                   options_.momentum,
                                   options_.beta1,
                                   options_.beta2,
                                   options_.eps,
                                   options_.weight_decay,
                                   static_cast<float>(1.0 - std::pow(static_cast<double>(options_.beta1), t)),
                                   static_cast<float>(1.0 - std::pow(static_cast<double>(options_.beta2), t))};
    const detail::OptimOps& optim = detail::ops(ctx).optim;
    for (std::size_t i = 0; i < parameters.size(); ++i) {
        float* second = second_[i].empty() ? nullptr : second_[i].data<float>();
        optim.step(ctx, parameters[i].data<float>(), first_[i].data<float>(), second, grads[i].data<float>(),
                   parameters[i].numel(), s);
    }
}

std::vector<std::pair<std::string, ConstTensorView>> Optimizer::state() const {
    std::vector<std::pair<std::string, ConstTensorView>> out;
    for (std::size_t i = 0; i < first_.size(); ++i) {
        out.emplace_back("optim.first." + std::to_string(i), first_[i]);
        if (!second_[i].empty()) out.emplace_back("optim.second." + std::to_string(i), second_[i]);
    }
    return out;
}

void Optimizer::load_state(const SafeTensors& file, std::int64_t steps) {
    if (steps < 0) detail::fail("Optimizer::load_state: steps must be >= 0");
    // Every tensor is looked up (and checked) before any state is overwritten.
    for (std::size_t i = 0; i < first_.size(); ++i) {
        file.at("optim.first." + std::to_string(i), first_[i].shape());
        if (!second_[i].empty()) file.at("optim.second." + std::to_string(i), second_[i].shape());
    }
    for (std::size_t i = 0; i < first_.size(); ++i) {
        first_[i].copy_from(file.at("optim.first." + std::to_string(i), first_[i].shape()));
        if (!second_[i].empty()) second_[i].copy_from(file.at("optim.second." + std::to_string(i), second_[i].shape()));
    }
    steps_ = steps;
}

}  // namespace ebmkit
