/// @file
/// The MLP energy as an instance of the energy concept (ebmkit/energy.hpp), so that every
/// sampler for any energy (ebmkit/sample.hpp: ULA, MALA, HMC) runs on it:
///   E(x) = -LSE_k f_k(x)   or, conditioned on a class y, E(x | y) = -f_y(x)
/// (the MlpEnergy's own definition, ebmkit/mlp.hpp), its gradient by backpropagation,
/// one row at a time in float, in the scratch each chain passes it:
///   [z_1 | a_1 | ... | z_{L-1} | a_{L-1} | f]   (pre-activations z_l, activations
///   a_l = act(z_l), the logits f; the backward pass writes delta_l over a_l)
/// A view keeps pointers to the model's parameters, on the model's device: the model must
/// outlive it and a CUDA context needs a model on the GPU (sample() checks device()). On
/// the GPU a thread carries a chain through whole rows of products (the weights are read
/// by every thread of a warp at once, a broadcast) only where the model's tile does not fit
/// a block: otherwise a block evaluates 16 chains together through the block-cooperative
/// form below.
#pragma once

#include <math.h>

#include <cstddef>

#include "ebmkit/detail/activation_rule.hpp"
#include "ebmkit/energy.hpp"
#include "ebmkit/mlp.hpp"

namespace ebmkit {

/// The most layers an MlpEnergyView takes.
inline constexpr int max_view_layers = 8;

/// An MlpEnergy as an instance of the energy concept: E(x) = -LSE f(x), or -f_label(x),
/// with its gradient by backpropagation in the chain's scratch. It points at the model's
/// parameters (the model must outlive it) and is copied by value to the device.
struct MlpEnergyView {
    int layers = 0;                            ///< the model's layers
    int widths[max_view_layers + 1] = {};      ///< the model's widths
    const float* weights[max_view_layers] = {};  ///< layer l: [widths[l + 1], widths[l]], row-major
    const float* biases[max_view_layers] = {};   ///< layer l: [widths[l + 1]]
    ActivationKind activation = ActivationKind::Relu;  ///< the hidden layers' activation
    float slope = 0.0f;                                ///< leaky ReLU's slope
    int label = -1;  ///< >= 0: E(x | label)
    Device on = Device::Host;  ///< where the parameters live

    /// A view of model (at most max_view_layers layers), conditioned on label when it is
    /// >= 0 (then < K); an Error names what is wrong.
    static MlpEnergyView of(const MlpEnergy& model, int label = -1);

    /// The energy concept: the dimension D.
    EBMKIT_HOST_DEVICE int dim() const { return widths[0]; }
    /// The device of the parameters (sample() runs there).
    Device device() const { return on; }

    /// The block-cooperative form (ebmkit/energy.hpp), which sample() takes on CUDA: 16
    /// chains a block, their states and every layer's activations on chip (the tile of
    /// LangevinSampler's fused chain, kernels/mlp_block.cuh's TileEnergy, FP32 products),
    /// defined where the library compiles sample() on a view
    /// (kernels/mlp_energy_view_block.cuh). For a model whose tile does not fit a block's
    /// shared memory block_shared_bytes() is block_form_unavailable: a thread carries each chain.
    static constexpr int block_rows = 16;
    /// The shared memory a block needs for block_rows chains, or block_form_unavailable.
    inline std::size_t block_shared_bytes() const;
    /// @{
    /// The tile's states in, E and grad at them, the states out (ebmkit/energy.hpp).
    inline EBMKIT_DEVICE void block_load(const BlockTile& tile, const float* x, unsigned char* shared) const;
    template <class OnEnergy, class OnGrad>
    inline EBMKIT_DEVICE void block_evaluate(const BlockTile& tile, unsigned char* shared, bool gradient,
                                             OnEnergy on_energy, OnGrad on_grad) const;
    inline EBMKIT_DEVICE void block_store(const BlockTile& tile, float* x, unsigned char* shared) const;
    /// @}
    /// The scratch form: floats of working memory per chain (the activations and deltas).
    EBMKIT_HOST_DEVICE int scratch_floats() const {
        int n = widths[layers];
        for (int l = 1; l < layers; ++l) n += 2 * widths[l];
        return n;
    }

    /// E(x) with its gradient written to grad, working in scratch (scratch_floats() floats).
    EBMKIT_HOST_DEVICE float operator()(const float* x, float* grad, float* scratch) const {
        // Forward: z_{l+1} = W_l a_l + b_l (a_0 = x), a = act(z) for the hidden layers.
        const float* in = x;
        float* at = scratch;
        for (int l = 0; l < layers; ++l) {
            const int n = widths[l + 1], k = widths[l];
            float* z = at;
            for (int i = 0; i < n; ++i) {
                const float* w = weights[l] + static_cast<long long>(i) * k;
                float s = biases[l][i];
                for (int j = 0; j < k; ++j) s += w[j] * in[j];
                z[i] = s;
            }
            if (l + 1 == layers) break;
            float* a = z + n;
            for (int i = 0; i < n; ++i) a[i] = detail::activate(activation, slope, z[i]);
            in = a;
            at = a + n;
        }
        // The head: E and dE/df over the logits, in place.
        float* f = at;
        const int classes = widths[layers];
        float e;
        if (label >= 0) {
            e = -f[label];
            for (int i = 0; i < classes; ++i) f[i] = i == label ? -1.0f : 0.0f;
        } else {
            float top = -INFINITY;
            for (int i = 0; i < classes; ++i) top = f[i] > top ? f[i] : top;
            float sum = 0.0f;
            for (int i = 0; i < classes; ++i) sum += expf(f[i] - top);
            const float lse = top + logf(sum);
            e = -lse;
            for (int i = 0; i < classes; ++i) f[i] = lse == -INFINITY ? 0.0f : -expf(f[i] - lse);
        }
        // Backward: delta_l = (W_l^T delta_{l+1}) * act'(z_l), over a_l; then grad = W_0^T delta_1.
        const float* delta = f;
        for (int l = layers - 1; l >= 1; --l) {
            const int n = widths[l + 1], k = widths[l];
            float* z = at - 2 * k;  // z_l, then a_l
            float* out = z + k;
            for (int j = 0; j < k; ++j) out[j] = 0.0f;
            for (int i = 0; i < n; ++i) {
                const float* w = weights[l] + static_cast<long long>(i) * k;
                const float d = delta[i];
                for (int j = 0; j < k; ++j) out[j] += d * w[j];
            }
            for (int j = 0; j < k; ++j) out[j] *= detail::activate_grad(activation, slope, z[j]);
            delta = out;
            at = z;
        }
        const int d = widths[0], n = widths[1];
        for (int j = 0; j < d; ++j) grad[j] = 0.0f;
        for (int i = 0; i < n; ++i) {
            const float* w = weights[0] + static_cast<long long>(i) * d;
            const float di = delta[i];
            for (int j = 0; j < d; ++j) grad[j] += di * w[j];
        }
        return e;
    }
};

}  // namespace ebmkit
