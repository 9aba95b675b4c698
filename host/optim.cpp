#include "ebmkit/optim.hpp"

#include <cmath>
#include <string>

#include "check.hpp"
#include "ops/ops.hpp"
#include "param_layout.hpp"

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
    std::vector<std::int64_t> sizes;
    for (std::size_t i = 0; i < parameters.size(); ++i) {
        const ConstTensorView& p = parameters[i];
        if (p.empty() || p.dtype() != DType::F32) {
            detail::fail("Optimizer: parameter " + std::to_string(i) + " must be a non-empty float32 tensor");
        }
        if (p.device() != parameters[0].device()) {
            detail::fail("Optimizer: parameter " + std::to_string(i) + " is on " + to_string(p.device()) +
                         ", parameter 0 on " + to_string(parameters[0].device()) + "; one device for all");
        }
        shapes_.push_back(p.shape());
        sizes.push_back(p.numel());
    }
    std::int64_t total = 0;
    offsets_ = detail::packed_offsets(sizes, total);
    if (total == 0) return;
    first_ = Tensor::zeros({total}, DType::F32, parameters[0].device());
    if (options.kind != OptimizerKind::Sgd) second_ = Tensor::zeros({total}, DType::F32, parameters[0].device());
}

void Optimizer::set_lr(float lr) {
    detail::check_positive("Optimizer::set_lr", "lr", lr);
    options_.lr = lr;
}

namespace {

// Parameter i's view of a state buffer laid out by offsets (empty where the buffer is:
// Sgd's second moment); read-only for a const buffer.
template <class Flat>
auto moment(Flat& flat, const std::vector<std::int64_t>& offsets, const std::vector<Shape>& shapes, std::size_t i)
    -> decltype(flat.view()) {
    if (flat.empty()) return {};
    return {flat.template data<float>() + offsets[i], shapes[i], DType::F32, flat.device()};
}

void check_step(Context& ctx, const std::vector<Shape>& shapes, const std::vector<TensorView>& parameters,
                const std::vector<ConstTensorView>& grads) {
    constexpr const char* op = "Optimizer::step";
    if (parameters.size() != shapes.size() || grads.size() != shapes.size()) {
        detail::fail(std::string(op) + ": the optimizer was made for " + std::to_string(shapes.size()) +
                     " parameters, got " + std::to_string(parameters.size()) + " and " + std::to_string(grads.size()) +
                     " gradients");
    }
    for (std::size_t i = 0; i < parameters.size(); ++i) {
        const std::string name = "parameter " + std::to_string(i);
        if (!(parameters[i].shape() == shapes[i])) {
            detail::fail(std::string(op) + ": " + name + " is " + parameters[i].shape().str() +
                         ", the optimizer was made for " + shapes[i].str());
        }
        for (const ConstTensorView& t : {ConstTensorView(parameters[i]), grads[i]}) {
            if (t.raw() == nullptr || t.dtype() != DType::F32 || t.device() != ctx.device()) {
                detail::fail(std::string(op) + ": " + name + " and its gradient must be float32 tensors on " +
                             to_string(ctx.device()));
            }
        }
        if (!(grads[i].shape() == shapes[i])) {
            detail::fail(std::string(op) + ": gradient " + std::to_string(i) + " is " + grads[i].shape().str() +
                         ", its parameter " + shapes[i].str());
        }
        detail::check_no_alias(op, name.c_str(), parameters[i], "its gradient", grads[i]);
    }
}

// The rule's constants at step t (bias corrections in double, then rounded).
kernels::OptimizerStep rule_at(const OptimizerOptions& o, std::int64_t t) {
    const auto steps = static_cast<double>(t);
    return {o.kind,
            o.lr,
            o.momentum,
            o.beta1,
            o.beta2,
            o.eps,
            o.weight_decay,
            kernels::bias_correction(o.beta1, steps),
            kernels::bias_correction(o.beta2, steps)};
}

}  // namespace

void Optimizer::step(Context& ctx, MlpEnergy& model, const MlpEnergy& grad) {
    constexpr const char* op = "Optimizer::step";
    detail::check_model(op, ctx, model);
    detail::check_model(op, ctx, grad);
    if (grad.widths() != model.widths()) detail::fail(std::string(op) + ": grad must have the model's widths");
    check_step(ctx, shapes_, model.parameters(), grad.parameters());  // (grad == model fails its alias check)
    // The shapes match, so the model's flat layout is the state's (param_layout.hpp).
    const kernels::OptimizerStep s = rule_at(options_, ++steps_);
    detail::ops(ctx).optim.step(ctx, model.flat().data<float>(), first_.data<float>(),
                                second_.empty() ? nullptr : second_.data<float>(), grad.flat().data<float>(),
                                model.flat().numel(), s);
}

void Optimizer::counted_step(Context& ctx, MlpEnergy& model, const MlpEnergy& grad, const std::uint32_t* steps_before,
                             const std::int32_t* skip) {
    // The corrections come from the counter alone (at t = 0 they would divide by zero),
    // so that a replay never reads the host's count of the step it was recorded at.
    kernels::OptimizerStep s = rule_at(options_, 0);
    s.steps_before = steps_before;
    s.skip = skip;
    detail::ops(ctx).optim.step(ctx, model.flat().data<float>(), first_.data<float>(),
                                second_.empty() ? nullptr : second_.data<float>(), grad.flat().data<float>(),
                                model.flat().numel(), s);
}

void Optimizer::step(Context& ctx, const std::vector<TensorView>& parameters, const std::vector<ConstTensorView>& grads) {
    check_step(ctx, shapes_, parameters, grads);
    const kernels::OptimizerStep s = rule_at(options_, ++steps_);
    const detail::OptimOps& optim = detail::ops(ctx).optim;
    for (std::size_t i = 0; i < parameters.size(); ++i) {
        const TensorView second = moment(second_, offsets_, shapes_, i);
        optim.step(ctx, parameters[i].data<float>(), moment(first_, offsets_, shapes_, i).data<float>(),
                   second.empty() ? nullptr : second.data<float>(), grads[i].data<float>(), parameters[i].numel(), s);
    }
}

std::vector<std::pair<std::string, ConstTensorView>> Optimizer::state() const {
    std::vector<std::pair<std::string, ConstTensorView>> out;
    for (std::size_t i = 0; i < shapes_.size(); ++i) {
        out.emplace_back("optim.first." + std::to_string(i), moment(first_, offsets_, shapes_, i));
        if (!second_.empty()) out.emplace_back("optim.second." + std::to_string(i), moment(second_, offsets_, shapes_, i));
    }
    return out;
}

void Optimizer::load_state(const SafeTensors& file, std::int64_t steps) {
    if (steps < 0) detail::fail("Optimizer::load_state: steps must be >= 0");
    // Every tensor is looked up (and checked) before any state is overwritten.
    for (std::size_t i = 0; i < shapes_.size(); ++i) {
        file.at("optim.first." + std::to_string(i), shapes_[i]);
        if (!second_.empty()) file.at("optim.second." + std::to_string(i), shapes_[i]);
    }
    for (std::size_t i = 0; i < shapes_.size(); ++i) {
        moment(first_, offsets_, shapes_, i).copy_from(file.at("optim.first." + std::to_string(i), shapes_[i]));
        if (!second_.empty()) {
            moment(second_, offsets_, shapes_, i).copy_from(file.at("optim.second." + std::to_string(i), shapes_[i]));
        }
    }
    steps_ = steps;
}

}  // namespace ebmkit
