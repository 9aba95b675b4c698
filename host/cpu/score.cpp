#include "score.hpp"

#include <algorithm>
#include <cmath>

#include "ebmkit/philox.hpp"
#include "kernels/score_rule.hpp"

namespace ebmkit::cpu {

namespace {

// The hidden activations and their derivatives for doubles and jets alike (the float
// rule of include/ebmkit/detail/activation_rule.hpp, in T).
template <class T>
T activate(const Activation& a, const T& z) {
    using std::exp;
    using std::expm1;
    using std::fabs;
    using std::log1p;
    using std::tanh;
    switch (a.kind) {
        case ActivationKind::Relu: return z > T(0.0) ? z : T(0.0);
        case ActivationKind::LeakyRelu: return z > T(0.0) ? z : T(a.leaky_slope) * z;
        case ActivationKind::Elu: return z > T(0.0) ? z : expm1(z);
        case ActivationKind::Silu: return z / (T(1.0) + exp(-z));
        case ActivationKind::Tanh: return tanh(z);
        case ActivationKind::Softplus: return (z > T(0.0) ? z : T(0.0)) + log1p(exp(-fabs(z)));
    }
    return z;
}

template <class T>
T activate_grad(const Activation& a, const T& z) {
    using std::exp;
    using std::tanh;
    switch (a.kind) {
        case ActivationKind::Relu: return z > T(0.0) ? T(1.0) : T(0.0);
        case ActivationKind::LeakyRelu: return z > T(0.0) ? T(1.0) : T(a.leaky_slope);
        case ActivationKind::Elu: return z > T(0.0) ? T(1.0) : exp(z);
        case ActivationKind::Silu: {
            const T s = T(1.0) / (T(1.0) + exp(-z));
            return s * (T(1.0) + z * (T(1.0) - s));
        }
        case ActivationKind::Tanh: {
            const T t = tanh(z);
            return T(1.0) - t * t;
        }
        case ActivationKind::Softplus: return T(1.0) / (T(1.0) + exp(-z));
    }
    return T(1.0);
}

}  // namespace

JetPass jet_pass(const MlpParams<const float>& p, const float* x, const double* v) {
    const int layers = static_cast<int>(p.weights.size());
    const auto width = [&](int l) { return static_cast<std::size_t>(p.widths[l]); };
    // Forward: z_{l+1} = W_l a_l + b_l, a_l = act(z_l) for the hidden layers, a_0 = x + t v.
    std::vector<std::vector<Jet>> z(layers + 1), a(layers);
    a[0].resize(width(0));
    for (std::size_t j = 0; j < width(0); ++j) a[0][j] = Jet(x[j], v ? v[j] : 0.0, 0.0);
    for (int l = 0; l < layers; ++l) {
        z[l + 1].assign(width(l + 1), Jet());
        for (std::size_t i = 0; i < width(l + 1); ++i) {
            Jet s(p.biases[l][i]);
            for (std::size_t j = 0; j < width(l); ++j) s += Jet(p.weights[l][i * width(l) + j]) * a[l][j];
            z[l + 1][i] = s;
        }
        if (l + 1 < layers) {
            a[l + 1].resize(width(l + 1));
            for (std::size_t i = 0; i < width(l + 1); ++i) a[l + 1][i] = activate(p.activation, z[l + 1][i]);
        }
    }
    // The head: E = -LSE f, dE/df = -softmax f.
    const std::vector<Jet>& f = z[layers];
    Jet top = f[0];
    for (const Jet& v_k : f) top = v_k > top ? v_k : top;
    Jet sum(0.0);
    for (const Jet& v_k : f) sum += exp(v_k - top);
    const Jet lse = top + log(sum);
    JetPass out;
    out.hidden.assign(z.begin() + 1, z.end() - 1);
    out.energy = -lse;
    std::vector<Jet> delta(f.size());
    for (std::size_t k = 0; k < f.size(); ++k) delta[k] = -exp(f[k] - lse);
    // Backward.
    out.delta.resize(layers);
    for (int l = layers - 1; l >= 0; --l) {
        out.delta[l] = delta;
        std::vector<Jet> back(width(l), Jet());
        for (std::size_t i = 0; i < width(l + 1); ++i) {
            for (std::size_t j = 0; j < width(l); ++j) back[j] += Jet(p.weights[l][i * width(l) + j]) * delta[i];
        }
        if (l > 0) {
            for (std::size_t j = 0; j < width(l); ++j) back[j] = back[j] * activate_grad(p.activation, z[l][j]);
        }
        delta = std::move(back);
    }
    out.input_grad = std::move(delta);
    out.input = std::move(a);
    return out;
}

namespace {

ScoreGradient zero_gradient(const MlpParams<const float>& p) {
    ScoreGradient g;
    for (std::size_t l = 0; l + 1 < p.widths.size(); ++l) {
        g.weight.emplace_back(static_cast<std::size_t>(p.widths[l + 1] * p.widths[l]), 0.0);
        g.bias.emplace_back(static_cast<std::size_t>(p.widths[l + 1]), 0.0);
    }
    return g;
}

// g += scale * the t^order coefficient of the pass's parameter gradient: of dE/dW_l[i][j]
// = delta_i a_j, sum_{p + q = order} delta_i.c[p] a_j.c[q].
void add_coefficient(ScoreGradient& g, const JetPass& pass, int order, double scale) {
    for (std::size_t l = 0; l < g.weight.size(); ++l) {
        const std::vector<Jet>& delta = pass.delta[l];
        const std::vector<Jet>& a = pass.input[l];
        const std::size_t in = a.size();
        for (std::size_t i = 0; i < delta.size(); ++i) {
            g.bias[l][i] += scale * delta[i].c[order];
            double* row = g.weight[l].data() + i * in;
            for (int p = 0; p <= order; ++p) {
                const double f = scale * delta[i].c[p];
                if (f == 0.0) continue;
                for (std::size_t j = 0; j < in; ++j) row[j] += f * a[j].c[order - p];
            }
        }
    }
}

}  // namespace

ScoreGradient denoising_gradient(const MlpParams<const float>& p, const float* x, const float* noise,
                                 const float* sigma, std::int64_t rows, const DenoisingOptions& o, bool gradient) {
    const auto d = static_cast<std::size_t>(p.widths[0]);
    ScoreGradient g = gradient ? zero_gradient(p) : ScoreGradient{};
    std::vector<float> noisy(d);
    std::vector<double> residual(d);
    for (std::int64_t r = 0; r < rows; ++r) {
        const double s = sigma[r], c = o.noise_conditional ? s : 1.0, w = o.sigma_squared_weight ? s * s : 1.0;
        const float* e = noise + r * d;
        for (std::size_t j = 0; j < d; ++j) noisy[j] = static_cast<float>(x[r * d + j] + s * e[j]);
        // The residual res = s(x~, sigma) + eps / sigma at x~, then the gradient along it.
        const JetPass at = jet_pass(p, noisy.data(), nullptr);
        double sq = 0;
        for (std::size_t j = 0; j < d; ++j) {
            residual[j] = -at.input_grad[j].value() / c + e[j] / s;
            sq += residual[j] * residual[j];
        }
        g.loss += w / 2 * sq / static_cast<double>(rows);
        if (gradient) {
            add_coefficient(g, jet_pass(p, noisy.data(), residual.data()), 1, -w / c / static_cast<double>(rows));
        }
    }
    return g;
}

double denoising_loss(const MlpParams<const float>& p, const float* x, const float* noise, const float* sigma,
                      std::int64_t rows, const DenoisingOptions& o) {
    const auto d = static_cast<std::size_t>(p.widths[0]);
    MlpRow row(p);
    std::vector<float> noisy(d);
    std::vector<double> dlogits;
    double loss = 0;
    for (std::int64_t r = 0; r < rows; ++r) {
        const double s = sigma[r], c = o.noise_conditional ? s : 1.0, w = o.sigma_squared_weight ? s * s : 1.0;
        for (std::size_t j = 0; j < d; ++j) noisy[j] = static_cast<float>(x[r * d + j] + s * noise[r * d + j]);
        row.forward(noisy.data());
        row.energy_dlogits(-1, dlogits);
        row.backward(dlogits.data());
        double sq = 0;
        for (std::size_t j = 0; j < d; ++j) {
            const double res = -row.input_grad()[j] / c + noise[r * d + j] / s;
            sq += res * res;
        }
        loss += w / 2 * sq / static_cast<double>(rows);
    }
    return loss;
}

ScoreGradient sliced_gradient(const MlpParams<const float>& p, const float* x, const float* v, std::int64_t rows,
                              bool variance_reduced, bool gradient) {
    const auto d = static_cast<std::size_t>(p.widths[0]);
    const double n = static_cast<double>(rows);
    ScoreGradient g = gradient ? zero_gradient(p) : ScoreGradient{};
    std::vector<double> dir(d), grad(d);
    for (std::int64_t r = 0; r < rows; ++r) {
        for (std::size_t j = 0; j < d; ++j) dir[j] = v[r * d + j];
        const JetPass along = jet_pass(p, x + r * d, dir.data());
        // v . g(x + t v) = v . g0 + t v^T H v + ...; s = -g.
        double vg = 0, vhv = 0, gg = 0;
        for (std::size_t j = 0; j < d; ++j) {
            vg += dir[j] * along.input_grad[j].c[0];
            vhv += dir[j] * along.input_grad[j].c[1];
            gg += along.input_grad[j].c[0] * along.input_grad[j].c[0];
        }
        // v^T grad_x s v = -v^T H v, whose gradient is -2 (t^2 coefficient).
        g.loss += (-vhv + (variance_reduced ? gg : vg * vg) / 2) / n;
        if (!gradient) continue;
        add_coefficient(g, along, 2, -2.0 / n);
        if (variance_reduced) {
            // 1/2 |g|^2: its gradient is d/dt grad_theta E(x + t g).
            for (std::size_t j = 0; j < d; ++j) grad[j] = along.input_grad[j].c[0];
            add_coefficient(g, jet_pass(p, x + r * d, grad.data()), 1, 1.0 / n);
        } else {
            // 1/2 (v . g)^2: (v . g) d/dt grad_theta E(x + t v).
            add_coefficient(g, along, 1, vg / n);
        }
    }
    return g;
}

}  // namespace ebmkit::cpu

namespace ebmkit::cpu {

void draw_perturbation(std::uint64_t seed, const float* sigmas, int levels, std::int64_t rows, std::int64_t d,
                       std::uint32_t step, std::uint32_t first_row, float* sigma, float* noise) {
    const PhiloxKey key = philox_key(seed);
    for (std::int64_t r = 0; r < rows; ++r) {
        const auto chain = static_cast<std::uint32_t>(first_row + r);
        sigma[r] = sigmas[kernels::score_level(key, levels, chain, step)];
        for (std::int64_t i = 0; i < d; i += 4) {
            float z[4];
            kernels::score_noise4(key, chain, step, static_cast<std::uint32_t>(i / 4), z);
            for (std::int64_t j = 0; j < std::min<std::int64_t>(4, d - i); ++j) noise[r * d + i + j] = z[j];
        }
    }
}

void draw_projections(std::uint64_t seed, bool gaussian, std::int64_t rows, std::int64_t d, std::uint32_t step,
                      std::uint32_t first_row, float* v) {
    const PhiloxKey key = philox_key(seed);
    for (std::int64_t r = 0; r < rows; ++r) {
        for (std::int64_t i = 0; i < d; i += 4) {
            float z[4];
            kernels::score_projection4(key, gaussian, static_cast<std::uint32_t>(first_row + r), step,
                                       static_cast<std::uint32_t>(i / 4), z);
            for (std::int64_t j = 0; j < std::min<std::int64_t>(4, d - i); ++j) v[r * d + i + j] = z[j];
        }
    }
}

}  // namespace ebmkit::cpu
