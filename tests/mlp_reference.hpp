// An independent, deliberately plain double-precision MLP forward pass for the
// tests: gradients are checked by central differences of this function.
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <thread>
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

// Layer l's pre-activation W_l a + b_l, perturbed by p.
inline std::vector<double> reference_layer(const MlpEnergy& model, int l, const std::vector<double>& a,
                                           const ParamPerturbation& p = {}) {
    const auto& w = model.weight(l);
    const auto& b = model.bias(l);
    const std::int64_t out = w.dim(0), in = w.dim(1);
    std::vector<double> z(static_cast<std::size_t>(out));
    for (std::int64_t o = 0; o < out; ++o) {
        double s = b.data<float>()[o] + (p.layer == l && p.bias && p.index == o ? p.delta : 0.0);
        for (std::int64_t i = 0; i < in; ++i) {
            double wv = w.data<float>()[o * in + i];
            if (p.layer == l && !p.bias && p.index == o * in + i) wv += p.delta;
            s += wv * a[i];
        }
        z[o] = s;
    }
    return z;
}

inline std::vector<double> reference_logits(const MlpEnergy& model, const std::vector<double>& x,
                                            const ParamPerturbation& p = {}) {
    std::vector<double> a = x;
    for (int l = 0; l < model.num_layers(); ++l) {
        a = reference_layer(model, l, a, p);
        if (l + 1 < model.num_layers()) {
            for (double& v : a) v = activation_value(model.activation(), v);
        }
    }
    return a;
}

// x [n, D] uniform in [lo, hi], each row redrawn until its hidden pre-activations keep
// `margin` clear of 0 when the activation has a kink there (ReLU, leaky ReLU): central
// differences whose step straddles a kink average the two slopes, not the gradient.
inline Tensor uniform_rows_clear_of_kinks(std::mt19937_64& rng, const MlpEnergy& model, std::int64_t n, float lo,
                                          float hi, double margin = 1e-3) {
    const ActivationKind kind = model.activation().kind;
    const bool kinked = kind == ActivationKind::Relu || kind == ActivationKind::LeakyRelu;
    const std::int64_t d = model.input_dim();
    std::uniform_real_distribution<float> uniform(lo, hi);
    Tensor x({n, d});
    for (std::int64_t r = 0; r < n; ++r) {
        for (bool clear = false; !clear;) {
            std::vector<double> a(static_cast<std::size_t>(d));
            for (std::int64_t i = 0; i < d; ++i) a[i] = x.data<float>()[r * d + i] = uniform(rng);
            clear = true;
            for (int l = 0; kinked && l + 1 < model.num_layers(); ++l) {
                a = reference_layer(model, l, a);
                for (double& v : a) {
                    clear = clear && std::abs(v) >= margin;
                    v = activation_value(model.activation(), v);
                }
            }
        }
    }
    return x;
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
// pre-activation (z.back() the logits), a[l] = act(z[l]) its activation for hidden l;
// delta[l] is dL/dz[l], from dlogits when given, else from E (label < 0: -LSE; else
// -f[label]); grad_x = dL/dx. Rounding moves pre-activations near a ReLU kink to the
// same side as the kernel's, so the kernels can be held to float tolerance against it.
struct RoundedRow {
    std::vector<std::vector<double>> z, a, delta;
    double energy = 0;
    std::vector<double> grad_x;
};

// The kernel computes each operand in float, so one whose value lies within float error
// of a rounding midpoint (or a pre-activation within float error of a ReLU kink) may
// legitimately go either way: the row's ambiguous sites. A zero seed takes every site
// the reference's way; any other flips each site with probability 1/2, drawn from it.
// `complement` flips exactly the sites the same seed leaves alone, so that a pattern and
// its complement together flip every site once.
class AmbiguousSites {
public:
    explicit AmbiguousSites(std::uint64_t seed, bool complement = false)
        : flips_(seed), flipping_(seed != 0), complement_(complement) {}
    double choose(double value, double alternative) {
        if (value == alternative) return value;
        return flipping_ && ((flips_() & 1) != 0) != complement_ ? alternative : value;
    }

private:
    std::mt19937_64 flips_;
    bool flipping_, complement_;
};

// Whose products the reference stands for. Rounded: the fused kernels', which round each
// operand exactly as rounded_operand does and sum in float, so only values within float
// error of a rounding midpoint or a kink are ambiguous. Library: cuBLAS's, which converts
// operands and orders its sums in its own way, so a pre-activation may move by about
// 2 u times its magnitude (u the precision's unit roundoff: either operand rounded the
// other way), more near a kink where its inputs' uncertainty carries in: every operand,
// and every kink that close, is an ambiguous site. (tests/mlp_reference_test.cpp holds
// a library that truncates its operands inside this model.)
enum class Products { Rounded, Library };

inline double unit_roundoff(Precision precision) {
    switch (precision) {
        case Precision::Fp32: return 0x1p-24;
        case Precision::Tf32: return 0x1p-11;
        case Precision::Bf16: return 0x1p-8;
    }
    return 0x1p-24;
}

// Every layer's weights as product operands: rounded_operand of each, in double.
inline std::vector<std::vector<double>> rounded_weights(const MlpEnergy& model, Precision precision) {
    std::vector<std::vector<double>> out;
    for (int l = 0; l < model.num_layers(); ++l) {
        const float* w = model.weight(l).data<float>();
        std::vector<double> layer(static_cast<std::size_t>(model.weight(l).numel()));
        for (std::size_t j = 0; j < layer.size(); ++j) layer[j] = rounded_operand(precision, w[j]);
        out.push_back(std::move(layer));
    }
    return out;
}

namespace detail {

// How far the kernel's float values may stray (u = 2^-24). TF32 and BF16 products are
// exact in float, so a layer's sum errs only by u times its partial sums, which for terms
// of mixed sign stay well below the sum of magnitudes: 4 u of that sum is many standard
// deviations of the error (the worst case, n u, is never approached). A float activation
// or softmax is within 4 u of its value.
constexpr double sum_error = 0x1p-22, eval_error = 0x1p-22;

inline double spread(double (*f)(const Activation&, double), const Activation& act, double z, double margin) {
    const double v = f(act, z);
    return std::max(std::abs(f(act, z + margin) - v), std::abs(f(act, z - margin) - v));
}

// scale, when given, receives each output's error scale: what the unit roundoff times
// gives the size of its rounding error when errors are independent and add in quadrature
// (the probabilistic error analysis of Higham and Mary, SIAM J. Sci. Comput. 41 (2019)):
// a sum's root sum of squared terms, plus the errors its inputs carry in (W times theirs,
// through act'), and the backward pass's likewise, through act'' where the derivative
// depends on z. An output computed by cancellation (a logit near 0 from large terms of
// both signs) has a large scale and a small value: its float error is judged against
// the scale. For a sum without cancellation the scale is about its value.
// weights: the model's weights as product operands (rounded_weights), rounded once for
// all the rows and patterns that use them.
inline RoundedRow rounded_row_with(const MlpEnergy& model, const std::vector<std::vector<double>>& weights,
                                   const float* x, int label, const float* dlogits, Precision precision,
                                   Products products, AmbiguousSites& sites, RoundedRow* scale = nullptr) {
    const int layers = model.num_layers();
    const Activation& act = model.activation();
    const bool kinked = act.kind == ActivationKind::Relu || act.kind == ActivationKind::LeakyRelu;
    auto w = [&](int l, std::int64_t o, std::int64_t i) { return weights[l][o * model.widths()[l] + i]; };
    auto operand = [&](double v, double margin) {
        const double r = rounded_operand(precision, v);
        if (precision == Precision::Fp32) return r;
        // The upper alternative first: a dead ReLU unit's (0) is a small positive value.
        const double lo = rounded_operand(precision, v - margin), hi = rounded_operand(precision, v + margin);
        return sites.choose(r, hi != r ? hi : lo);
    };
    const double z_error = sum_error + (products == Products::Library ? 2 * unit_roundoff(precision) : 0.0);
    auto absw = [&](int l, std::int64_t o, std::int64_t i) {
        return std::abs(model.weight(l).data<float>()[o * model.widths()[l] + i]);
    };
    RoundedRow r, s;
    std::vector<std::vector<double>> z_margin, kink_margin;
    std::vector<double> a(x, x + model.input_dim()), a_margin(a.size(), 0.0), a_scale(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) a_scale[i] = std::abs(a[i]);
    for (int l = 0; l < layers; ++l) {
        const std::int64_t in = model.widths()[l], out = model.widths()[l + 1];
        std::vector<double> ra(static_cast<std::size_t>(in));
        for (std::int64_t i = 0; i < in; ++i) ra[i] = operand(a[i], a_margin[i]);
        std::vector<double> z(static_cast<std::size_t>(out)), margin(static_cast<std::size_t>(out)),
            kink(static_cast<std::size_t>(out)), z_scale(static_cast<std::size_t>(out));
        for (std::int64_t o = 0; o < out; ++o) {
            const double b = model.bias(l).data<float>()[o];
            double sum = 0, magnitude = std::abs(b), carried = 0, squares = b * b;
            for (std::int64_t i = 0; i < in; ++i) {
                const double t = ra[i] * w(l, o, i);
                sum += t;
                magnitude += std::abs(t);
                carried += absw(l, o, i) * a_margin[i];
                if (scale) squares += t * t + std::pow(absw(l, o, i) * a_scale[i], 2);
            }
            z[o] = sum + b;
            margin[o] = z_error * magnitude;
            // Near a kink, also what the inputs' uncertainty carries in: a unit the
            // reference finds dead, at 0, may be alive by a hair in the kernel.
            kink[o] = margin[o] + carried;
            z_scale[o] = std::sqrt(squares);
        }
        r.z.push_back(z);
        s.z.push_back(z_scale);
        z_margin.push_back(margin);
        kink_margin.push_back(kink);
        if (l + 1 == layers) break;
        a.assign(static_cast<std::size_t>(out), 0.0);
        a_margin.assign(static_cast<std::size_t>(out), 0.0);
        a_scale.assign(static_cast<std::size_t>(out), 0.0);
        for (std::int64_t o = 0; o < out; ++o) {
            a[o] = static_cast<float>(activation_value(act, z[o]));
            const double m = kinked && std::abs(z[o]) < kink[o] ? kink[o] : margin[o];
            a_margin[o] = spread(activation_value, act, z[o], m) + eval_error * std::abs(a[o]);
            a_scale[o] = std::hypot(activation_derivative(act, z[o]) * z_scale[o], a[o]);
        }
        r.a.push_back(a);
        s.a.push_back(a_scale);
    }
    const std::vector<double>& f = r.z.back();
    const double lse = reference_lse(f);
    const double logit_margin = *std::max_element(z_margin.back().begin(), z_margin.back().end());
    r.energy = label >= 0 ? -f[label] : -lse;
    const std::vector<double>& f_scale = s.z.back();
    double softmax_squares = 0;  // (sum_k (p_k scale(f_k))^2: what the LSE's inputs carry into it
    for (std::size_t k = 0; k < f.size(); ++k) softmax_squares += std::pow(std::exp(f[k] - lse) * f_scale[k], 2);
    s.energy = std::hypot(label >= 0 ? f_scale[label] : std::sqrt(softmax_squares), r.energy);
    std::vector<double> delta(f.size()), delta_margin(f.size(), 0.0), delta_scale(f.size(), 0.0);
    for (std::size_t k = 0; k < f.size(); ++k) {
        if (dlogits) delta[k] = dlogits[k];
        else if (label >= 0) delta[k] = static_cast<int>(k) == label ? -1.0 : 0.0;
        else {
            delta[k] = static_cast<float>(-std::exp(f[k] - lse));
            delta_margin[k] = std::abs(delta[k]) * (2 * logit_margin + eval_error);
            delta_scale[k] = std::abs(delta[k]) * std::sqrt(f_scale[k] * f_scale[k] + softmax_squares);
        }
        delta_scale[k] = std::hypot(delta_scale[k], delta[k]);
    }
    r.delta.assign(static_cast<std::size_t>(layers), {});
    s.delta.assign(static_cast<std::size_t>(layers), {});
    for (int l = layers - 1; l >= 0; --l) {
        r.delta[l] = delta;
        s.delta[l] = delta_scale;
        const std::int64_t in = model.widths()[l], out = model.widths()[l + 1];
        std::vector<double> rd(static_cast<std::size_t>(out));
        for (std::int64_t o = 0; o < out; ++o) rd[o] = operand(delta[o], delta_margin[o]);
        std::vector<double> g(static_cast<std::size_t>(in), 0.0), magnitude(static_cast<std::size_t>(in), 0.0),
            g_scale(static_cast<std::size_t>(in), 0.0);
        for (std::int64_t o = 0; o < out; ++o) {  // each g[i] sums over o in order
            for (std::int64_t i = 0; i < in; ++i) {
                const double t = rd[o] * w(l, o, i);
                g[i] += t;
                magnitude[i] += std::abs(t);
                if (scale) g_scale[i] += t * t + std::pow(absw(l, o, i) * delta_scale[o], 2);  // squares, rooted below
            }
        }
        for (double& v : g_scale) v = std::sqrt(v);
        if (l == 0) {
            r.grad_x = g;
            s.grad_x = g_scale;
            break;
        }
        delta.assign(static_cast<std::size_t>(in), 0.0);
        delta_margin.assign(static_cast<std::size_t>(in), 0.0);
        delta_scale.assign(static_cast<std::size_t>(in), 0.0);
        for (std::int64_t i = 0; i < in; ++i) {
            const double zi = r.z[l - 1][i], zm = z_margin[l - 1][i], zs = s.z[l - 1][i];
            double derivative = activation_derivative(act, zi), derivative_margin = 0;
            if (kinked) {
                const double km = kink_margin[l - 1][i];
                const double above = activation_derivative(act, zi + km), below = activation_derivative(act, zi - km);
                derivative = sites.choose(derivative, above != derivative ? above : below);
            } else {
                derivative_margin = spread(activation_derivative, act, zi, zm);
            }
            delta[i] = static_cast<float>(g[i] * derivative);
            delta_margin[i] = std::abs(derivative) * z_error * magnitude[i] + std::abs(g[i]) * derivative_margin +
                              eval_error * std::abs(delta[i]);
            // |act''(z)| by a central difference (0 for the kinked ones away from the kink).
            constexpr double h = 1e-4;
            const double curvature = kinked ? 0.0
                                            : std::abs(activation_derivative(act, zi + h) - activation_derivative(act, zi - h)) / (2 * h);
            delta_scale[i] = std::sqrt(std::pow(derivative * g_scale[i], 2) + std::pow(g[i] * curvature * zs, 2) +
                                       delta[i] * delta[i]);
        }
    }
    if (scale) *scale = s;
    return r;
}

// Applies f(got, want) to every part of two rows with the same shape.
template <class F>
void for_each_part(RoundedRow& x, const RoundedRow& y, F f) {
    for (std::size_t l = 0; l < x.z.size(); ++l) f(x.z[l], y.z[l]);
    for (std::size_t l = 0; l < x.a.size(); ++l) f(x.a[l], y.a[l]);
    for (std::size_t l = 0; l < x.delta.size(); ++l) f(x.delta[l], y.delta[l]);
    f(x.grad_x, y.grad_x);
    std::vector<double> ex{x.energy};
    f(ex, std::vector<double>{y.energy});
    x.energy = ex[0];
}

}  // namespace detail

// A reference row, per output the mean square of how far random flips of its ambiguous
// sites move it, and its error scale (rounded_row_with's). Flipping site s moves the
// outputs by some d_s; the kernel flips a few sites, each with some small probability p_s,
// so its deviation has mean square about sum_s p_s |d_s|^2 <= sum_s |d_s|^2. The patterns
// come in complementary pairs, so that every site flips in one of each pair: with a
// single site d, the mean square is |d|^2 / 2, never 0 (four random patterns alone miss
// it one time in 16); with many independent sites, about half their sum.
struct ExpectedRow {
    RoundedRow value, flip_square, scale;
};

// weights: rounded_weights(model, precision) when the caller has it (a batch's rows share it).
inline ExpectedRow rounded_row(const MlpEnergy& model, const float* x, int label, const float* dlogits,
                               Precision precision, Products products = Products::Rounded,
                               const std::vector<std::vector<double>>* given_weights = nullptr) {
    constexpr int pairs = 4;
    AmbiguousSites reference_way(0);
    ExpectedRow e;
    const std::vector<std::vector<double>> own = given_weights ? std::vector<std::vector<double>>{}
                                                               : rounded_weights(model, precision);
    const std::vector<std::vector<double>>& weights = given_weights ? *given_weights : own;
    e.value = detail::rounded_row_with(model, weights, x, label, dlogits, precision, products, reference_way, &e.scale);
    e.flip_square = e.value;
    detail::for_each_part(e.flip_square, e.value, [](std::vector<double>& s, const std::vector<double>&) {
        std::fill(s.begin(), s.end(), 0.0);
    });
    const ActivationKind kind = model.activation().kind;
    const bool kinked = kind == ActivationKind::Relu || kind == ActivationKind::LeakyRelu;
    // In FP32 no operand is rounded: only a kink makes a site.
    if (precision == Precision::Fp32 && !kinked) return e;
    // Fixed pattern seeds: each row meets its own sites, so its patterns are its own.
    for (std::uint64_t seed = 1; seed <= pairs; ++seed) {
        for (bool complement : {false, true}) {
            AmbiguousSites flips(seed, complement);
            RoundedRow other = detail::rounded_row_with(model, weights, x, label, dlogits, precision, products, flips);
            detail::for_each_part(other, e.value, [](std::vector<double>& o, const std::vector<double>& v) {
                for (std::size_t i = 0; i < o.size(); ++i) o[i] = (o[i] - v[i]) * (o[i] - v[i]) / (2 * pairs);
            });
            detail::for_each_part(e.flip_square, other, [](std::vector<double>& s, const std::vector<double>& d) {
                for (std::size_t i = 0; i < s.size(); ++i) s[i] += d[i];
            });
        }
    }
    return e;
}

// Reference rows of a batch x [n, D]: for E(x), for E(x, labels[r]), and from given
// dlogits [n, K]. Rows are independent, and the flip patterns' reruns make them worth
// spreading over the host's cores.
struct RoundedBatch {
    std::vector<ExpectedRow> plain, conditional, given;
};

inline RoundedBatch rounded_batch(const MlpEnergy& model, const Tensor& x, const std::vector<std::int32_t>& labels,
                                  const Tensor& dlogits, Precision precision, Products products = Products::Rounded) {
    const std::int64_t n = x.dim(0), d = model.input_dim(), k = model.num_outputs();
    RoundedBatch b;
    b.plain.resize(static_cast<std::size_t>(n));
    b.conditional.resize(static_cast<std::size_t>(n));
    b.given.resize(static_cast<std::size_t>(n));
    const std::vector<std::vector<double>> weights = rounded_weights(model, precision);
    std::atomic<std::int64_t> next{0};
    auto work = [&] {
        for (std::int64_t r; (r = next++) < n;) {
            const float* xr = x.data<float>() + r * d;
            b.plain[r] = rounded_row(model, xr, -1, nullptr, precision, products, &weights);
            b.conditional[r] = rounded_row(model, xr, labels[r], nullptr, precision, products, &weights);
            b.given[r] = rounded_row(model, xr, -1, dlogits.data<float>() + r * k, precision, products, &weights);
        }
    };
    std::vector<std::thread> helpers(std::max(1u, std::thread::hardware_concurrency()) - 1);
    for (auto& t : helpers) t = std::thread(work);
    work();
    for (auto& t : helpers) t.join();
    return b;
}

// One part of every row, one row after the other: the values, their flips' mean squares
// and their error scales.
struct Expected {
    std::vector<double> value, flip_square, scale;
};

template <class Part>
Expected gather(const std::vector<ExpectedRow>& rows, Part part) {
    Expected out;
    for (const auto& row : rows) {
        const std::vector<double> v = part(row.value), f = part(row.flip_square), s = part(row.scale);
        out.value.insert(out.value.end(), v.begin(), v.end());
        out.flip_square.insert(out.flip_square.end(), f.begin(), f.end());
        out.scale.insert(out.scale.end(), s.begin(), s.end());
    }
    return out;
}

// The error of got against want.value, less an allowance for the ambiguous sites of 3
// times the root of their flips' mean square (2 covers every site flipping, see
// ExpectedRow; the rest is headroom for estimating it from a few patterns), relative to
// the outputs' error scale (want.scale; their values where it is empty): a multiple of the
// precision's unit roundoff for a correct kernel, whatever the cancellation.
inline double relative_error(const std::vector<float>& got, const Expected& want) {
    if (got.size() != want.value.size()) return std::numeric_limits<double>::infinity();
    const bool scaled = want.scale.size() == want.value.size();
    double error = 0.0, norm = 0.0, flips = 0.0;
    for (std::size_t i = 0; i < got.size(); ++i) {
        if (std::isnan(got[i])) return std::numeric_limits<double>::infinity();
        error += (got[i] - want.value[i]) * (got[i] - want.value[i]);
        const double s = scaled ? want.scale[i] : want.value[i];
        norm += s * s;
        flips += want.flip_square[i];
    }
    const double beyond = std::max(std::sqrt(error) - 3.0 * std::sqrt(flips), 0.0);
    return norm == 0.0 ? beyond : beyond / std::sqrt(norm);
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
    const ConstTensorView param = bias ? model.bias(layer) : model.weight(layer);
    std::vector<double> out;
    for (std::int64_t i = 0; i < param.numel(); ++i) {
        out.push_back((loss(ParamPerturbation{layer, bias, i, h}) - loss(ParamPerturbation{layer, bias, i, -h})) / (2 * h));
    }
    return out;
}

}  // namespace ebmkit::test
