// An independent, deliberately plain double-precision MLP forward pass for the
// tests: gradients are checked by central differences of this function.
#pragma once

#include <cmath>
#include <vector>

#include "ebmkit/mlp.hpp"

namespace ebmkit::test {

inline double activation_value(const Activation& a, double z) {
    switch (a.kind) {
        case ActivationKind::Relu: return std::max(z, 0.0);
        case ActivationKind::LeakyRelu: return z >= 0 ? z : a.leaky_slope * z;
        case ActivationKind::Elu: return z >= 0 ? z : std::exp(z) - 1.0;
        case ActivationKind::Silu: return z / (1.0 + std::exp(-z));
        case ActivationKind::Tanh: return std::tanh(z);
        case ActivationKind::Softplus: return std::log(1.0 + std::exp(z));
    }
    return z;
}

// Logits of one row, with parameters taken from model (host) and input x.
// Optional overrides let a test perturb one parameter: layer, is_bias, index, delta.
struct ParamPerturbation {
    int layer = -1;
    bool bias = false;
    std::int64_t index = 0;
    double delta = 0.0;
};

inline std::vector<double> reference_logits(const MlpEnergy& model, const std::vector<double>& x,
                                            const ParamPerturbation& p = {}) {
    std::vector<double> a = x;
    for (int l = 0; l < model.num_layers(); ++l) {
        const auto& w = model.weight(l);
        const auto& b = model.bias(l);
        const std::int64_t out = w.dim(0), in = w.dim(1);
        std::vector<double> z(out);
        for (std::int64_t o = 0; o < out; ++o) {
            double s = b.data<float>()[o] + (p.layer == l && p.bias && p.index == o ? p.delta : 0.0);
            for (std::int64_t i = 0; i < in; ++i) {
                double wv = w.data<float>()[o * in + i];
                if (p.layer == l && !p.bias && p.index == o * in + i) wv += p.delta;
                s += wv * a[i];
            }
            z[o] = s;
        }
        if (l + 1 < model.num_layers()) {
            for (double& v : z) v = activation_value(model.activation(), v);
        }
        a = z;
    }
    return a;
}

inline double reference_lse(const std::vector<double>& f) {
    double m = f[0];
    for (double v : f) m = std::max(m, v);
    double s = 0;
    for (double v : f) s += std::exp(v - m);
    return m + std::log(s);
}

// E(x) = -LSE f(x) (label < 0) or E(x, y) = -f(x)[y].
inline double reference_energy(const MlpEnergy& model, const std::vector<double>& x, int label,
                               const ParamPerturbation& p = {}) {
    const auto f = reference_logits(model, x, p);
    return label >= 0 ? -f[label] : -reference_lse(f);
}

// d loss / d parameter by central differences for every entry of one layer's
// weights (bias = false) or biases, loss taking a ParamPerturbation.
template <typename Loss>
std::vector<double> central_differences(const MlpEnergy& model, int layer, bool bias, Loss loss, double h = 1e-6) {
    const Tensor& param = bias ? model.bias(layer) : model.weight(layer);
    std::vector<double> out;
    for (std::int64_t i = 0; i < param.numel(); ++i) {
        out.push_back((loss(ParamPerturbation{layer, bias, i, h}) - loss(ParamPerturbation{layer, bias, i, -h})) / (2 * h));
    }
    return out;
}

}  // namespace ebmkit::test
