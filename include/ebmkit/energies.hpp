/// @file
/// Energies shipped with ebmkit (the concept: ebmkit/energy.hpp), each with its exact
/// moments or density so that the samplers can be checked against closed forms. Their
/// parameters are kept by value (at most max_analytic_dim dimensions and, for the mixture,
/// max_mixture_components components), so one object serves the host and the device.
///   GaussianEnergy:        E = 1/2 (x - m)^T P (x - m),  N(m, P^-1)
///   GaussianMixtureEnergy: E = -log sum_k w_k N(x; m_k, s_k^2 I)  (normalised: exp(-E) is the density)
///   DoubleWellEnergy:      E = a (x_0^2 - 1)^2 + 1/2 sum_{i>0} x_i^2  (two modes at x_0 = +-1)
///   BananaEnergy:          E = x_0^2 / (2 s^2) + (x_1 - b (x_0^2 - s^2))^2 / 2
///                          (x_0 ~ N(0, s^2), x_1 | x_0 ~ N(b (x_0^2 - s^2), 1): mean 0,
///                          var x_0 = s^2, var x_1 = 1 + 2 b^2 s^4, uncorrelated)
///   RidgeEnergy:           E = sum_j a_j softplus(u_j . x + c_j) in 2-D, a_j > 0, around the
///                          circle: a skewed density decaying like exp(-|x|)
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "ebmkit/detail/host_device.hpp"
#include "ebmkit/error.hpp"
#include "ebmkit/mlp_energy_view.hpp"
#include "ebmkit/sample.hpp"

namespace ebmkit {

/// The largest dimension of the shipped analytic energies (their parameters live in the functor, copied to the device by value).
inline constexpr int max_analytic_dim = 16;
/// The most components of a GaussianMixtureEnergy.
inline constexpr int max_mixture_components = 8;

/// A Gaussian N(mean, P^-1) in d dimensions: E(x) = (x - mean)^T P (x - mean) / 2.
struct GaussianEnergy {
    int d = 0;  ///< the dimension, 1 .. max_analytic_dim
    float mean[max_analytic_dim] = {};  ///< the mean [d]
    float precision[max_analytic_dim * max_analytic_dim] = {};  ///< P [d, d], row-major (row stride d), symmetric

    /// From mean [d] and covariance [d, d] (row-major), which must be symmetric positive
    /// definite: P = covariance^-1 through its Cholesky factor, in double.
    static GaussianEnergy from_covariance(const std::vector<double>& mean, const std::vector<double>& covariance);

    /// @{
    /// The energy concept: the dimension, and E(x) with its gradient written to grad.
    EBMKIT_HOST_DEVICE int dim() const { return d; }
    EBMKIT_HOST_DEVICE float operator()(const float* x, float* grad) const {
        float e = 0.0f;
        for (int i = 0; i < d; ++i) {
            float g = 0.0f;
            for (int j = 0; j < d; ++j) g += precision[i * d + j] * (x[j] - mean[j]);
            grad[i] = g;
            e += 0.5f * (x[i] - mean[i]) * g;
        }
        return e;
    }
    /// @}
};

/// An isotropic Gaussian mixture: E(x) = -log sum_k w_k N(x; m_k, s_k^2 I).
struct GaussianMixtureEnergy {
    int d = 0;  ///< the dimension
    int k = 0;  ///< the number of components
    float mean[max_mixture_components * max_analytic_dim] = {};  ///< [k, d] at stride max_analytic_dim
    float inv_var[max_mixture_components] = {};                  ///< 1 / s_k^2
    float log_norm[max_mixture_components] = {};                 ///< log w_k - d/2 log(2 pi s_k^2)

    /// weights [k] (positive, normalised here), means [k, d], standard deviations [k] (positive).
    static GaussianMixtureEnergy from(const std::vector<double>& weights, const std::vector<double>& means,
                                      const std::vector<double>& stds, int d);

    /// @{
    /// The energy concept: the dimension, and E(x) with its gradient written to grad.
    EBMKIT_HOST_DEVICE int dim() const { return d; }
    EBMKIT_HOST_DEVICE float operator()(const float* x, float* grad) const {
        // a_k = log w_k N(x; m_k, s_k^2 I); E = -LSE(a); dE/dx = sum_k r_k (x - m_k) / s_k^2, r = softmax(a).
        float a[max_mixture_components];
        float top = -INFINITY;
        for (int c = 0; c < k; ++c) {
            float sq = 0.0f;
            for (int i = 0; i < d; ++i) {
                const float u = x[i] - mean[c * max_analytic_dim + i];
                sq += u * u;
            }
            a[c] = log_norm[c] - 0.5f * inv_var[c] * sq;
            top = a[c] > top ? a[c] : top;
        }
        float sum = 0.0f;
        for (int c = 0; c < k; ++c) {
            a[c] = expf(a[c] - top);
            sum += a[c];
        }
        for (int i = 0; i < d; ++i) grad[i] = 0.0f;
        for (int c = 0; c < k; ++c) {
            const float r = a[c] / sum;
            for (int i = 0; i < d; ++i) grad[i] += r * inv_var[c] * (x[i] - mean[c * max_analytic_dim + i]);
        }
        return -(top + logf(sum));
    }
    /// @}
};

/// A double well: E(x) = a (x_0^2 - 1)^2 + sum_{i>0} x_i^2 / 2, modes at x_0 = -1 and 1.
struct DoubleWellEnergy {
    int d = 1;  ///< the dimension
    float a = 1.0f;  ///< the barrier's height at x_0 = 0

    /// @{
    /// The energy concept: the dimension, and E(x) with its gradient written to grad.
    EBMKIT_HOST_DEVICE int dim() const { return d; }
    EBMKIT_HOST_DEVICE float operator()(const float* x, float* grad) const {
        const float u = x[0] * x[0] - 1.0f;
        float e = a * u * u;
        grad[0] = 4.0f * a * x[0] * u;
        for (int i = 1; i < d; ++i) {
            e += 0.5f * x[i] * x[i];
            grad[i] = x[i];
        }
        return e;
    }
    /// @}
};

/// A banana (a twisted Gaussian): x_0 ~ N(0, s^2), x_1 | x_0 ~ N(b (x_0^2 - s^2), 1).
struct BananaEnergy {
    float s = 1.0f;  ///< the standard deviation of x_0
    float b = 1.0f;  ///< the curvature

    /// @{
    /// The energy concept: the dimension, and E(x) with its gradient written to grad.
    EBMKIT_HOST_DEVICE int dim() const { return 2; }
    EBMKIT_HOST_DEVICE float operator()(const float* x, float* grad) const {
        const float r = x[1] - b * (x[0] * x[0] - s * s);
        grad[0] = x[0] / (s * s) - 2.0f * b * x[0] * r;
        grad[1] = r;
        return 0.5f * x[0] * x[0] / (s * s) + 0.5f * r * r;
    }
    /// @}
};

/// A sum of softplus ridges in 2-D: E(x) = sum_j w_j softplus(u_j . x + c_j) (the 2-D test energy).
struct RidgeEnergy {
    static constexpr int ridges = 16;  ///< how many ridges
    float u[ridges][2] = {};  ///< directions
    float c[ridges] = {};     ///< offsets
    float w[ridges] = {};     ///< weights a_j > 0

    /// @{
    /// The energy concept: the dimension, and E(x) with its gradient written to grad.
    EBMKIT_HOST_DEVICE int dim() const { return 2; }
    EBMKIT_HOST_DEVICE float operator()(const float* x, float* grad) const {
        float e = 0.0f;
        grad[0] = grad[1] = 0.0f;
        for (int j = 0; j < ridges; ++j) {
            const float z = u[j][0] * x[0] + u[j][1] * x[1] + c[j];
            // softplus(z) and its derivative sigmoid(z), stable for either sign.
            const float soft = z > 0.0f ? z + log1pf(expf(-z)) : log1pf(expf(z));
            const float sig = z > 0.0f ? 1.0f / (1.0f + expf(-z)) : expf(z) / (1.0f + expf(z));
            e += w[j] * soft;
            grad[0] += w[j] * sig * u[j][0];
            grad[1] += w[j] * sig * u[j][1];
        }
        return e;
    }
    /// @}
};

inline GaussianEnergy GaussianEnergy::from_covariance(const std::vector<double>& mean,
                                                      const std::vector<double>& covariance) {
    const int n = static_cast<int>(mean.size());
    if (n < 1 || n > max_analytic_dim) {
        throw Error("GaussianEnergy: the dimension must be in [1, " + std::to_string(max_analytic_dim) + "], got " +
                    std::to_string(n));
    }
    if (covariance.size() != static_cast<std::size_t>(n * n)) {
        throw Error("GaussianEnergy: the covariance must be " + std::to_string(n) + " x " + std::to_string(n));
    }
    // Cholesky C = L L^T, then P = L^-T L^-1 column by column.
    std::vector<double> l(static_cast<std::size_t>(n * n), 0.0);
    for (int i = 0; i < n; ++i) {
        for (int j = 0; j <= i; ++j) {
            if (std::abs(covariance[i * n + j] - covariance[j * n + i]) > 1e-12 * (1 + std::abs(covariance[i * n + j]))) {
                throw Error("GaussianEnergy: the covariance is not symmetric");
            }
            double v = covariance[i * n + j];
            for (int q = 0; q < j; ++q) v -= l[i * n + q] * l[j * n + q];
            if (i == j) {
                if (!(v > 0)) throw Error("GaussianEnergy: the covariance is not positive definite");
                l[i * n + i] = std::sqrt(v);
            } else {
                l[i * n + j] = v / l[j * n + j];
            }
        }
    }
    GaussianEnergy g;
    g.d = n;
    for (int col = 0; col < n; ++col) {
        // Solve L y = e_col, then L^T z = y: z is column col of C^-1.
        std::vector<double> y(static_cast<std::size_t>(n), 0.0), z(static_cast<std::size_t>(n), 0.0);
        for (int i = 0; i < n; ++i) {
            double v = i == col ? 1.0 : 0.0;
            for (int q = 0; q < i; ++q) v -= l[i * n + q] * y[q];
            y[i] = v / l[i * n + i];
        }
        for (int i = n - 1; i >= 0; --i) {
            double v = y[i];
            for (int q = i + 1; q < n; ++q) v -= l[q * n + i] * z[q];
            z[i] = v / l[i * n + i];
        }
        for (int i = 0; i < n; ++i) g.precision[i * n + col] = static_cast<float>(z[i]);
    }
    for (int i = 0; i < n; ++i) g.mean[i] = static_cast<float>(mean[i]);
    return g;
}

inline GaussianMixtureEnergy GaussianMixtureEnergy::from(const std::vector<double>& weights,
                                                         const std::vector<double>& means,
                                                         const std::vector<double>& stds, int d) {
    const int k = static_cast<int>(weights.size());
    if (d < 1 || d > max_analytic_dim) {
        throw Error("GaussianMixtureEnergy: the dimension must be in [1, " + std::to_string(max_analytic_dim) + "]");
    }
    if (k < 1 || k > max_mixture_components) {
        throw Error("GaussianMixtureEnergy: the components must number 1 to " + std::to_string(max_mixture_components));
    }
    if (means.size() != static_cast<std::size_t>(k * d) || stds.size() != static_cast<std::size_t>(k)) {
        throw Error("GaussianMixtureEnergy: means must be [k, d] and stds [k]");
    }
    double total = 0;
    for (int c = 0; c < k; ++c) {
        if (!(weights[c] > 0) || !(stds[c] > 0)) throw Error("GaussianMixtureEnergy: weights and stds must be positive");
        total += weights[c];
    }
    GaussianMixtureEnergy m;
    m.d = d;
    m.k = k;
    const double two_pi = 2 * 3.14159265358979323846;
    for (int c = 0; c < k; ++c) {
        m.inv_var[c] = static_cast<float>(1.0 / (stds[c] * stds[c]));
        m.log_norm[c] = static_cast<float>(std::log(weights[c] / total) - 0.5 * d * std::log(two_pi * stds[c] * stds[c]));
        for (int i = 0; i < d; ++i) m.mean[c * max_analytic_dim + i] = static_cast<float>(means[c * d + i]);
    }
    return m;
}

/// sample() on the shipped energies is compiled once, in the library (host/sample_energies.cpp,
/// by nvcc where the build has CUDA): those calls run on either backend whatever compiles
/// the caller, the Python package and the ebm command included. The one list of them:
#define EBMKIT_SHIPPED_ENERGIES(X) \
    X(GaussianEnergy) X(GaussianMixtureEnergy) X(DoubleWellEnergy) X(BananaEnergy) X(RidgeEnergy) X(MlpEnergyView)
/// @cond
#define EBMKIT_SAMPLE_OF(E) SampleStats sample<E>(Context&, const E&, TensorView, const SampleParams&, Steps, bool);
#define EBMKIT_EXTERN_SAMPLE(E) extern template EBMKIT_SAMPLE_OF(E)
EBMKIT_SHIPPED_ENERGIES(EBMKIT_EXTERN_SAMPLE)
#undef EBMKIT_EXTERN_SAMPLE
/// @endcond

}  // namespace ebmkit
