/// @file
/// MLP energy with K outputs (docs/ARCHITECTURE.md §1):
///   f(x) = W_L a(... a(W_1 x + b_1) ...) + b_L,  W_l: [width_l, width_{l-1}] (PyTorch's
///   nn.Linear layout), b_l: [width_l], no activation after the last layer;
///   E(x) = -LSE_y f(x)[y],  E(x, y) = -f(x)[y]  (K = 1: E(x) = -f(x)[0]).
#pragma once

#include <cstdint>
#include <vector>

#include "ebmkit/context.hpp"
#include "ebmkit/tensor.hpp"

namespace ebmkit {

/// The hidden layers' activation function.
enum class ActivationKind { Relu, LeakyRelu, Elu, Silu, Tanh, Softplus };

/// An activation and its parameter (leaky ReLU's slope; ELU's alpha is 1).
struct Activation {
    ActivationKind kind = ActivationKind::Relu;  ///< which function
    float leaky_slope = 0.01f;  ///< used by LeakyRelu only

    /// @{
    /// The activation of that kind.
    static Activation relu() { return {ActivationKind::Relu}; }
    static Activation leaky_relu(float slope) { return {ActivationKind::LeakyRelu, slope}; }
    static Activation elu() { return {ActivationKind::Elu}; }  // alpha = 1
    static Activation silu() { return {ActivationKind::Silu}; }
    static Activation tanh() { return {ActivationKind::Tanh}; }
    static Activation softplus() { return {ActivationKind::Softplus}; }
    /// @}
};

/// The activation's name as the ebm command and checkpoints write it ("relu", "leaky_relu", ...).
const char* to_string(ActivationKind kind);

/// Parameter holder; also the type of a parameter gradient (same shapes).
class MlpEnergy {
public:
    /// widths = {input, hidden..., K}, at least two entries, all >= 1. Parameters are
    /// zero-initialised; call init_uniform to draw them.
    MlpEnergy(std::vector<std::int64_t> widths, Activation activation, Device device = Device::Host);

    /// PyTorch's nn.Linear default: W and b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
    /// drawn from Philox (purpose ParamInit, chain = layer), so a seed fixes the model.
    void init_uniform(std::uint64_t seed);
    /// Same widths, activation and device, zero parameters (e.g. for gradients).
    MlpEnergy zeros_like() const;
    /// A copy on device.
    MlpEnergy to(Device device) const;

    /// @{
    /// The widths {input, hidden..., K}, the activation, the device, the number of layers
    /// (widths().size() - 1), the input dimension D and the number of outputs K.
    const std::vector<std::int64_t>& widths() const { return widths_; }
    const Activation& activation() const { return activation_; }
    Device device() const { return device_; }
    int num_layers() const { return static_cast<int>(widths_.size()) - 1; }
    std::int64_t input_dim() const { return widths_.front(); }
    std::int64_t num_outputs() const { return widths_.back(); }
    /// @}
    /// @{
    /// Views of the parameters: their values can change, their shapes and device cannot.
    TensorView weight(int layer);
    ConstTensorView weight(int layer) const;
    TensorView bias(int layer);
    ConstTensorView bias(int layer) const;
    /// @}
    /// @{
    /// Every parameter in one order (weight 0, bias 0, weight 1, ...), as optimizers and
    /// checkpoints take them.
    std::vector<TensorView> parameters();
    std::vector<ConstTensorView> parameters() const;
    /// @}
    /// @{
    /// The one buffer that holds them, in that order, each starting at a multiple of 64
    /// floats, the gaps zero (they stay zero under every update: one optimizer launch and
    /// one all-reduce cover the whole buffer).
    TensorView flat() { return flat_; }
    ConstTensorView flat() const { return flat_; }
    /// @}

private:
    std::vector<std::int64_t> widths_;
    Activation activation_;
    Device device_;
    Tensor flat_;
    std::vector<std::int64_t> offsets_;  ///< of weight 0, bias 0, weight 1, ... in flat_
};

/// True when, on this context, calls on `rows` rows of the model run the fused kernels
/// (kernels/mlp_fused.cu): a CUDA context whose mlp_path() is Fused, and a model
/// of at most 8 layers whose hidden and output activations for 16 rows, with the
/// staging of one product, fit in a block's shared memory (227 KB on sm_90: hidden
/// widths plus K summing to about 3,400 or less). Otherwise the unfused path (cuBLAS
/// + elementwise kernels) computes the same functions.
bool uses_fused_mlp(Context& ctx, const MlpEnergy& model, std::int64_t rows);

/// x: [N, D]; logits: [N, K].
void mlp_logits(Context& ctx, const MlpEnergy& model, ConstTensorView x, TensorView logits);

/// @{
/// energy: [N]. Without labels E(x) = -LSE f(x); with labels ([N] int32 in [0, K))
/// E(x, y) = -f(x)[y].
void energy(Context& ctx, const MlpEnergy& model, ConstTensorView x, TensorView energy);
void energy(Context& ctx, const MlpEnergy& model, ConstTensorView x, ConstTensorView labels,
            TensorView energy);
/// @}

/// @{
/// grad_x E(x) (or grad_x E(x, y) with labels): [N, D]. The score is its negative.
void energy_grad_x(Context& ctx, const MlpEnergy& model, ConstTensorView x, TensorView grad);
void energy_grad_x(Context& ctx, const MlpEnergy& model, ConstTensorView x, ConstTensorView labels,
                   TensorView grad);
/// @}

/// @{
/// E(x) and grad_x E(x) (or E(x, y) and its gradient) from one forward and backward pass.
void energy_and_grad_x(Context& ctx, const MlpEnergy& model, ConstTensorView x, TensorView energy, TensorView grad);
void energy_and_grad_x(Context& ctx, const MlpEnergy& model, ConstTensorView x, ConstTensorView labels,
                       TensorView energy, TensorView grad);
/// @}

/// Gradient of a scalar loss L = sum_r l_r(f(x_r)) w.r.t. every parameter, given
/// dlogits[r, k] = d L / d f(x_r)[k]. grad has the model's shapes; its parameters are
/// overwritten, or added to when accumulate is true.
void param_grad(Context& ctx, const MlpEnergy& model, ConstTensorView x, ConstTensorView dlogits,
                MlpEnergy& grad, bool accumulate = false);

}  // namespace ebmkit
