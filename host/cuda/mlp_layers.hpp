// The CUDA launchers' view of an MlpEnergy, and the MLP passes the CUDA Langevin and
// JEM operations share (host/cuda/mlp.cpp).
#pragma once

#include <vector>

#include "ebmkit/context.hpp"
#include "ebmkit/mlp.hpp"
#include "kernels/jem_head.hpp"
#include "kernels/mlp.hpp"

namespace ebmkit::detail {

// Widths, activation, device parameter pointers and the context's precision.
kernels::MlpLayers mlp_layers(const Context& ctx, const MlpEnergy& model);

// A gradient model's layer tensors as the launchers take them (appended).
void gradient_pointers(MlpEnergy& grad, std::vector<float*>& dweights, std::vector<float*>& dbiases);

// E and grad_x E (each nullable) of x [rows, D] on the device, fused or unfused as the
// context says, without the argument checks (the caller has made them); it neither
// synchronises nor copies to the host, so CUDA graph capture can record it once the
// context's workspace has reached its size. op names the caller in errors.
void mlp_energy_cuda(const char* op, Context& ctx, const MlpEnergy& model, ConstTensorView x,
                     const std::int32_t* labels, float* energy, float* grad);

// One set of a JEM batch (x [rows, D], labels for data rows): the head's terms [rows]
// and the parameter gradient into grad (added to when accumulate), the forward pass
// run once: fused, the head is the kernel's epilogue; unfused, the head kernel runs
// between the forward and backward passes, which share the workspace's activations.
// No checks, no host copies.
void jem_param_grad_cuda(const char* op, Context& ctx, const MlpEnergy& model, ConstTensorView x,
                         const std::int32_t* labels, const kernels::JemHeadWeights& w, kernels::JemRowTerms* terms,
                         MlpEnergy& grad, bool accumulate);

}  // namespace ebmkit::detail
