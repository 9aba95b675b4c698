/// @file
/// Optimizers for MLP energies (minimisation), with PyTorch's update rules:
///   Sgd:    g += wd p;  v = momentum v + g;  p -= lr v
///   Adam:   g += wd p;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
///           p -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
///   Adamax: g += wd p;  m = b1 m + (1 - b1) g;  u = max(b2 u, |g| + eps);
///           p -= lr / (1 - b1^t) m / u
/// The state lives on the parameters' device; a step is one fused kernel per parameter
/// tensor. (CD's momentum ascent, the RBM trainer's rule, is the family's other rule:
/// kernels/optim.cu.)
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ebmkit/context.hpp"
#include "ebmkit/mlp.hpp"
#include "ebmkit/safetensors.hpp"
#include "ebmkit/tensor.hpp"

namespace ebmkit {

/// The update rule: SGD with momentum, Adam or Adamax (PyTorch's rules).
enum class OptimizerKind { Sgd, Adam, Adamax };
/// The name as the ebm command spells it ("sgd", "adam", "adamax").
const char* to_string(OptimizerKind kind);

/// An optimizer's rule and hyper-parameters.
struct OptimizerOptions {
    OptimizerKind kind = OptimizerKind::Adamax;  ///< Tomczak's JEM notebook: Adamax, lr 1e-3
    float lr = 1e-3f;       ///< the learning rate
    float momentum = 0.9f;  ///< Sgd
    float beta1 = 0.9f;     ///< Adam, Adamax: the first moment's decay
    float beta2 = 0.999f;   ///< the second moment's (Adamax: the infinity norm's) decay
    float eps = 1e-8f;      ///< added to the denominator
    float weight_decay = 0.0f;  ///< L2 added to the gradient (PyTorch's weight_decay)
};

namespace detail {
class GoodState;
}

/// Over any list of parameter views (a model's parameters(), in their order), each
/// with a gradient view of the same shape.
class Optimizer {
public:
    /// State (zeros) for each parameter, on the parameters' device (one device for all),
    /// in one buffer laid out as MlpEnergy::flat lays out parameters of these shapes.
    Optimizer(const std::vector<ConstTensorView>& parameters, const OptimizerOptions& options);
    /// The same for a model's parameters.
    Optimizer(const MlpEnergy& model, const OptimizerOptions& options) : Optimizer(model.parameters(), options) {}
    /// One update of every parameter from its gradient (same shapes, on ctx's device): a
    /// launch per parameter.
    void step(Context& ctx, const std::vector<TensorView>& parameters, const std::vector<ConstTensorView>& grads);
    /// The same update of a model from a gradient of its widths, as one launch over the
    /// flat buffers (MlpEnergy::flat).
    void step(Context& ctx, MlpEnergy& model, const MlpEnergy& grad);
    /// Steps taken (Adam's bias correction counts them).
    std::int64_t steps() const { return steps_; }
    /// The options.
    const OptimizerOptions& options() const { return options_; }
    /// A new learning rate for the steps after (a schedule's).
    void set_lr(float lr);

    /// The state as named tensors ("optim.first.3", ...) plus the step count, for checkpoints.
    std::vector<std::pair<std::string, ConstTensorView>> state() const;
    /// Restores what state() wrote, from a checkpoint; Error when a tensor is missing or
    /// of another shape.
    void load_state(const SafeTensors& file, std::int64_t steps);

private:
    /// JemTrainer's replayed iterations (host/jem.cpp): the flat step with t read from
    /// *steps_before and no change where *skip is nonzero (words on ctx's device); the
    /// trainer counts the step on the host (count_step) once it knows.
    friend class JemTrainer;
    friend class detail::GoodState;  ///< the trainers' divergence guard (host/trainer_state.hpp)
    void counted_step(Context& ctx, MlpEnergy& model, const MlpEnergy& grad, const std::uint32_t* steps_before,
                      const std::int32_t* skip);
    void count_step() { ++steps_; }
    OptimizerOptions options_;
    std::vector<Shape> shapes_;
    std::vector<std::int64_t> offsets_;  ///< of each parameter's state in first_ and second_
    Tensor first_, second_;              ///< second_ empty for Sgd
    std::int64_t steps_ = 0;
};

}  // namespace ebmkit
