#include "mlp.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>

#include "logsumexp.hpp"
#include "scalar_math.hpp"

namespace ebmkit::cpu {

namespace {

double activate(const Activation& act, double z) {
    switch (act.kind) {
        case ActivationKind::Relu: return z > 0 ? z : 0.0;
        case ActivationKind::LeakyRelu: return z > 0 ? z : act.leaky_slope * z;
        case ActivationKind::Elu: return z > 0 ? z : std::expm1(z);
        case ActivationKind::Silu: return z * sigmoid(z);
        case ActivationKind::Tanh: return std::tanh(z);
        case ActivationKind::Softplus: return softplus(z);
    }
    return z;
}

// d a / d z, given z.
double activate_grad(const Activation& act, double z) {
    switch (act.kind) {
        case ActivationKind::Relu: return z > 0 ? 1.0 : 0.0;
        case ActivationKind::LeakyRelu: return z > 0 ? 1.0 : act.leaky_slope;
        case ActivationKind::Elu: return z > 0 ? 1.0 : std::exp(z);
        case ActivationKind::Silu: {
            const double s = sigmoid(z);
            return s * (1.0 + z * (1.0 - s));
        }
        case ActivationKind::Tanh: {
            const double t = std::tanh(z);
            return 1.0 - t * t;
        }
        case ActivationKind::Softplus: return sigmoid(z);
    }
    return 1.0;
}

template <typename Model, typename T>
MlpParams<T> collect(Model& model) {
    MlpParams<T> p{model.widths(), model.activation(), {}, {}};
    for (int l = 0; l < model.num_layers(); ++l) {
        p.weights.push_back(model.weight(l).template data<float>());
        p.biases.push_back(model.bias(l).template data<float>());
    }
    return p;
}

}  // namespace

MlpParams<const float> params_of(const MlpEnergy& model) { return collect<const MlpEnergy, const float>(model); }
MlpParams<float> params_of(MlpEnergy& model) { return collect<MlpEnergy, float>(model); }

MlpRow::MlpRow(const MlpParams<const float>& params) : p_(params) {
    const int layers = static_cast<int>(p_.weights.size());
    for (int l = 0; l < layers; ++l) {
        a_.emplace_back(p_.widths[l]);
        z_.emplace_back(p_.widths[l + 1]);
        dz_.emplace_back(p_.widths[l + 1]);
    }
    dx_.resize(p_.widths[0]);
}

void MlpRow::forward(const float* x) {
    std::copy(x, x + p_.widths[0], a_[0].begin());
    const int layers = static_cast<int>(z_.size());
    for (int l = 0; l < layers; ++l) {
        const std::int64_t in = p_.widths[l], out = p_.widths[l + 1];
        const float* w = p_.weights[l];
        const double* a = a_[l].data();
        for (std::int64_t o = 0; o < out; ++o) {
            const float* wo = w + o * in;
            double s = 0.0;
#pragma omp simd reduction(+ : s)
            for (std::int64_t i = 0; i < in; ++i) s += static_cast<double>(wo[i]) * a[i];
            z_[l][o] = s + p_.biases[l][o];
        }
        if (l + 1 < layers) {
            for (std::int64_t o = 0; o < out; ++o) a_[l + 1][o] = activate(p_.activation, z_[l][o]);
        }
    }
}

void MlpRow::backward(const double* dlogits) {
    const int layers = static_cast<int>(z_.size());
    std::copy(dlogits, dlogits + p_.widths[layers], dz_[layers - 1].begin());
    for (int l = layers - 1; l >= 0; --l) {
        const std::int64_t in = p_.widths[l], out = p_.widths[l + 1];
        const float* w = p_.weights[l];
        // g = W_l^T dz_l: dL/da_{l-1} (or dL/dx at l = 0).
        std::vector<double>& g = l > 0 ? dz_[l - 1] : dx_;
        std::fill(g.begin(), g.end(), 0.0);
        for (std::int64_t o = 0; o < out; ++o) {
            const double d = dz_[l][o];
            const float* wo = w + o * in;
#pragma omp simd
            for (std::int64_t i = 0; i < in; ++i) g[i] += d * wo[i];
        }
        if (l > 0) {
            for (std::int64_t i = 0; i < in; ++i) g[i] *= activate_grad(p_.activation, z_[l - 1][i]);
        }
    }
}

void MlpRow::energy_dlogits(int label, std::vector<double>& out) const {
    const std::vector<double>& f = logits();
    out.assign(f.size(), 0.0);
    if (label >= 0) {
        out[label] = -1.0;
        return;
    }
    const double lse = logsumexp_row(f.data(), static_cast<std::int64_t>(f.size()));
    for (std::size_t k = 0; k < f.size(); ++k) out[k] = -softmax_entry(f[k], lse);
}

double MlpRow::energy(int label) const {
    const std::vector<double>& f = logits();
    return label >= 0 ? -f[label] : -logsumexp_row(f.data(), static_cast<std::int64_t>(f.size()));
}

void mlp_logits(const MlpParams<const float>& p, const float* x, std::int64_t rows, float* logits) {
    const std::int64_t d = p.widths.front(), k = p.widths.back();
#pragma omp parallel
    {
        MlpRow row(p);
#pragma omp for schedule(static)
        for (std::int64_t r = 0; r < rows; ++r) {
            row.forward(x + r * d);
            std::transform(row.logits().begin(), row.logits().end(), logits + r * k,
                           [](double v) { return static_cast<float>(v); });
        }
    }
}

void energy(const MlpParams<const float>& p, const float* x, const std::int32_t* labels, std::int64_t rows,
            float* energy) {
    const std::int64_t d = p.widths.front();
#pragma omp parallel
    {
        MlpRow row(p);
#pragma omp for schedule(static)
        for (std::int64_t r = 0; r < rows; ++r) {
            row.forward(x + r * d);
            energy[r] = static_cast<float>(row.energy(labels ? labels[r] : -1));
        }
    }
}

void energy_grad_x(const MlpParams<const float>& p, const float* x, const std::int32_t* labels,
                   std::int64_t rows, float* grad, float* energy) {
    const std::int64_t d = p.widths.front();
#pragma omp parallel
    {
        MlpRow row(p);
        std::vector<double> dlogits;
#pragma omp for schedule(static)
        for (std::int64_t r = 0; r < rows; ++r) {
            row.forward(x + r * d);
            row.energy_dlogits(labels ? labels[r] : -1, dlogits);
            row.backward(dlogits.data());
            std::transform(row.input_grad().begin(), row.input_grad().end(), grad + r * d,
                           [](double v) { return static_cast<float>(v); });
            if (energy) energy[r] = static_cast<float>(row.energy(labels ? labels[r] : -1));
        }
    }
}

void param_grad(const MlpParams<const float>& p, const float* x, const float* dlogits, std::int64_t rows,
                const MlpParams<float>& grad, bool accumulate) {
    const int layers = static_cast<int>(p.weights.size());
    const std::int64_t d = p.widths.front(), k = p.widths.back();
    // Pass 1, parallel over rows: each row's layer inputs a_l and deltas dL/dz_l, kept.
    // Pass 2, parallel over parameter rows: each sum runs over the batch's rows in
    // order, in double. So the result does not depend on the thread count.
    std::vector<std::size_t> in_at(layers), dz_at(layers);
    std::size_t per_row = 0;
    for (int l = 0; l < layers; ++l) {
        in_at[l] = per_row;
        per_row += static_cast<std::size_t>(p.widths[l]);
        dz_at[l] = per_row;
        per_row += static_cast<std::size_t>(p.widths[l + 1]);
    }
    std::vector<double> kept(per_row * static_cast<std::size_t>(rows));
#pragma omp parallel
    {
        MlpRow row(p);
        std::vector<double> g(k);
#pragma omp for schedule(static)
        for (std::int64_t r = 0; r < rows; ++r) {
            row.forward(x + r * d);
            std::copy(dlogits + r * k, dlogits + (r + 1) * k, g.begin());
            row.backward(g.data());
            double* mine = kept.data() + per_row * static_cast<std::size_t>(r);
            for (int l = 0; l < layers; ++l) {
                std::copy(row.input(l).begin(), row.input(l).end(), mine + in_at[l]);
                std::copy(row.dz(l).begin(), row.dz(l).end(), mine + dz_at[l]);
            }
        }
    }
    for (int l = 0; l < layers; ++l) {
        const std::int64_t in = p.widths[l], out = p.widths[l + 1];
#pragma omp parallel
        {
            std::vector<double> sum(static_cast<std::size_t>(in));
#pragma omp for schedule(static)
            for (std::int64_t o = 0; o < out; ++o) {
                std::fill(sum.begin(), sum.end(), 0.0);
                double bias = 0.0;
                for (std::int64_t r = 0; r < rows; ++r) {
                    const double* mine = kept.data() + per_row * static_cast<std::size_t>(r);
                    const double dz = mine[dz_at[l] + o];
                    const double* a = mine + in_at[l];
#pragma omp simd
                    for (std::int64_t i = 0; i < in; ++i) sum[i] += dz * a[i];
                    bias += dz;
                }
                float* w = grad.weights[l] + o * in;
                for (std::int64_t i = 0; i < in; ++i) w[i] = static_cast<float>((accumulate ? w[i] : 0.0) + sum[i]);
                grad.biases[l][o] = static_cast<float>((accumulate ? grad.biases[l][o] : 0.0) + bias);
            }
        }
    }
}

}  // namespace ebmkit::cpu
