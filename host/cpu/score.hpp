// The score family's CPU twin (issue 29), in double: score matching's losses on the MLP
// energy's score s(x) = -grad_x E(x) (E = -LSE f(x), ebmkit/mlp.hpp) and their parameter
// gradients, the oracle of the second-order kernels to come. Means over the rows:
//   denoising (Vincent 2011), each row at its own noise level sigma with its normal draw
//   eps, x~ = x + sigma eps:
//     l = w / 2 |s(x~, sigma) + eps / sigma|^2,  s(x, sigma) = s(x) / sigma where the model
//     is noise-conditional by NCSNv2's rule (else s(x)),  w = sigma^2 (a ladder's weight) or 1
//   sliced (Song et al. 2019), each row with its projection v:
//     l = v^T grad_x s(x) v + 1/2 (v^T s(x))^2,  or, variance-reduced, + 1/2 |s(x)|^2
// The gradients differentiate grad_x E with respect to the parameters by Taylor-mode
// arithmetic (host/cpu/jet.hpp) through the forward and backward passes: the DSM term
// w res . ds/dtheta is -(w / c) d/dt grad_theta E(x~ + t res) (c = sigma or 1), and the
// sliced term v^T H v (H = grad_x^2 E) is half the t^2 coefficient's derivative of
// grad_theta E(x + t v).
#pragma once

#include <cstdint>
#include <vector>

#include "jet.hpp"
#include "mlp.hpp"

namespace ebmkit::cpu {

struct ScoreGradient {
    double loss = 0;
    std::vector<std::vector<double>> weight, bias;  // dL/dW_l [out * in], dL/db_l [out]
};

struct DenoisingOptions {
    bool noise_conditional = false;  // s(x, sigma) = s(x) / sigma
    bool sigma_squared_weight = false;
};

// x, noise [rows, D]; sigma [rows].
ScoreGradient denoising_gradient(const MlpParams<const float>& p, const float* x, const float* noise,
                                 const float* sigma, std::int64_t rows, const DenoisingOptions& o);
// The loss alone, from the double passes of MlpRow (an evaluation independent of the jets).
double denoising_loss(const MlpParams<const float>& p, const float* x, const float* noise, const float* sigma,
                      std::int64_t rows, const DenoisingOptions& o);

// x, v [rows, D].
ScoreGradient sliced_gradient(const MlpParams<const float>& p, const float* x, const float* v, std::int64_t rows,
                              bool variance_reduced);

// One row's E, grad_x E and grad_theta E at x + t v, as jets (the passes the gradients use).
struct JetPass {
    std::vector<std::vector<Jet>> hidden;  // the pre-activations z_1 .. z_{L-1}
    Jet energy;
    std::vector<Jet> input_grad;
    std::vector<std::vector<Jet>> weight, bias;
};
JetPass jet_pass(const MlpParams<const float>& p, const float* x, const double* v);

}  // namespace ebmkit::cpu
