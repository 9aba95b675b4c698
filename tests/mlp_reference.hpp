// An independent, deliberately plain double-precision MLP forward pass for the
// tests: gradients are checked by central differences of this function.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "ebmkit/context.hpp"
#include "ebmkit/tensor.hpp"

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

inline double activation_derivative(const Activation& a, double z) {
    switch (a.kind) {
        case ActivationKind::Relu: return z > 0 ? 1.0 : 0.0;
        case ActivationKind::LeakyRelu: return z > 0 ? 1.0 : a.leaky_slope;
        case ActivationKind::Elu: return z > 0 ? 1.0 : std::exp(z);
        case ActivationKind::Silu: {
            const double s = 1.0 / (1.0 + std::exp(-z));
            return s * (1.0 + z * (1.0 - s));
        }
        case ActivationKind::Tanh: return 1.0 - std::tanh(z) * std::tanh(z);
        case ActivationKind::Softplus: return 1.0 / (1.0 + std::exp(-z));
    }
    return 1.0;
}

// A product operand as the tensor cores see it: TF32 keeps 10 mantissa bits (ties
// away from zero, as cvt.rna.tf32.f32), BF16 7 (ties to even); FP32 is unchanged.
inline double rounded_operand(Precision precision, double value) {
    float f = static_cast<float>(value);
    std::uint32_t bits;
    std::memcpy(&bits, &f, 4);
    if ((bits & 0x7f800000u) == 0x7f800000u || precision == Precision::Fp32) return f;
    if (precision == Precision::Tf32) bits = (bits + 0x1000u) & 0xffffe000u;
    else bits = (bits + 0x7fffu + ((bits >> 16) & 1u)) & 0xffff0000u;
    std::memcpy(&f, &bits, 4);
    return f;
}

// One row through the MLP as the fused tensor-core kernels compute it: every product
// with both operands rounded to the precision, all else in double. z[l] is layer l+1's
// pre-activation (z.back() the logits); delta[l] is dL/dz[l], from dlogits when given,
// else from E (label < 0: -LSE; else -f[label]); grad_x = dL/dx. Rounding moves
// pre-activations near a ReLU kink to the same side as the kernel's, so the kernels can
// be held to float tolerance against it in every precision.
struct RoundedRow {
    std::vector<std::vector<double>> z, delta;
    double energy = 0;
    std::vector<double> grad_x;
};

inline RoundedRow rounded_row(const MlpEnergy& model, const float* x, int label, const float* dlogits,
                              Precision precision) {
    const int layers = model.num_layers();
    const Activation& act = model.activation();
    auto w = [&](int l, std::int64_t o, std::int64_t i) {
        return rounded_operand(precision, model.weight(l).data<float>()[o * model.widths()[l] + i]);
    };
    RoundedRow r;
    std::vector<double> a(x, x + model.input_dim());
    for (int l = 0; l < layers; ++l) {
        const std::int64_t in = model.widths()[l], out = model.widths()[l + 1];
        std::vector<double> z(static_cast<std::size_t>(out));
        for (std::int64_t o = 0; o < out; ++o) {
            double s = 0;
            for (std::int64_t i = 0; i < in; ++i) s += rounded_operand(precision, a[i]) * w(l, o, i);
            z[o] = s + model.bias(l).data<float>()[o];
        }
        r.z.push_back(z);
        a.resize(static_cast<std::size_t>(out));
        for (std::int64_t o = 0; o < out; ++o) a[o] = static_cast<float>(activation_value(act, z[o]));
    }
    const std::vector<double>& f = r.z.back();
    const double lse = reference_lse(f);
    r.energy = label >= 0 ? -f[label] : -lse;
    std::vector<double> delta(f.size());
    for (std::size_t k = 0; k < f.size(); ++k) {
        delta[k] = dlogits ? dlogits[k] : label >= 0 ? -(static_cast<int>(k) == label ? 1.0 : 0.0) : -std::exp(f[k] - lse);
        delta[k] = static_cast<float>(delta[k]);
    }
    r.delta.assign(static_cast<std::size_t>(layers), {});
    r.delta.back() = delta;
    for (int l = layers - 1; l >= 0; --l) {
        const std::int64_t in = model.widths()[l], out = model.widths()[l + 1];
        std::vector<double> g(static_cast<std::size_t>(in), 0.0);
        for (std::int64_t i = 0; i < in; ++i) {
            for (std::int64_t o = 0; o < out; ++o) g[i] += rounded_operand(precision, r.delta[l][o]) * w(l, o, i);
        }
        if (l == 0) {
            r.grad_x = g;
            break;
        }
        for (std::int64_t i = 0; i < in; ++i) g[i] = static_cast<float>(g[i] * activation_derivative(act, r.z[l - 1][i]));
        r.delta[l - 1] = g;
    }
    return r;
}

// Reference rows of a batch x [n, D]: for E(x), for E(x, labels[r]), and from given
// dlogits [n, K].
struct RoundedBatch {
    std::vector<RoundedRow> plain, conditional, given;
};

inline RoundedBatch rounded_batch(const MlpEnergy& model, const Tensor& x, const std::vector<std::int32_t>& labels,
                                  const Tensor& dlogits, Precision precision) {
    RoundedBatch b;
    const std::int64_t d = model.input_dim(), k = model.num_outputs();
    for (std::int64_t r = 0; r < x.dim(0); ++r) {
        const float* xr = x.data<float>() + r * d;
        b.plain.push_back(rounded_row(model, xr, -1, nullptr, precision));
        b.conditional.push_back(rounded_row(model, xr, labels[r], nullptr, precision));
        b.given.push_back(rounded_row(model, xr, -1, dlogits.data<float>() + r * k, precision));
    }
    return b;
}

// part(row) of every row, one after the other.
template <class Part>
std::vector<double> gather(const std::vector<RoundedRow>& rows, Part part) {
    std::vector<double> out;
    for (const auto& row : rows) {
        const std::vector<double> v = part(row);
        out.insert(out.end(), v.begin(), v.end());
    }
    return out;
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
