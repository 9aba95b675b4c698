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

// x, noise [rows, D]; sigma [rows]. Without `gradient` only the loss (weight and bias empty).
ScoreGradient denoising_gradient(const MlpParams<const float>& p, const float* x, const float* noise,
                                 const float* sigma, std::int64_t rows, const DenoisingOptions& o,
                                 bool gradient = true);
// The loss alone, from the double passes of MlpRow (an evaluation independent of the jets).
double denoising_loss(const MlpParams<const float>& p, const float* x, const float* noise, const float* sigma,
                      std::int64_t rows, const DenoisingOptions& o);

// x, v [rows, D].
ScoreGradient sliced_gradient(const MlpParams<const float>& p, const float* x, const float* v, std::int64_t rows,
                              bool variance_reduced, bool gradient = true);

// One row's E, grad_x E and grad_theta E at x + t v, as jets (the passes the gradients
// use). grad_theta E is kept as its factors: dE/dW_l = delta[l] (x) input[l] (outer
// product), dE/db_l = delta[l].
struct JetPass {
    std::vector<std::vector<Jet>> hidden;  // the pre-activations z_1 .. z_{L-1}
    Jet energy;
    std::vector<Jet> input_grad;
    std::vector<std::vector<Jet>> input;   // a_l: layer l's input (a_0 = x + t v)
    std::vector<std::vector<Jet>> delta;   // dE/dz_{l+1}: layer l's output gradient
};
JetPass jet_pass(const MlpParams<const float>& p, const float* x, const double* v);

}  // namespace ebmkit::cpu

namespace ebmkit::cpu {

// The score family's draws (host/ops/score.hpp states their keys).
void draw_perturbation(std::uint64_t seed, const float* sigmas, int levels, std::int64_t rows, std::int64_t d,
                       std::uint32_t step, std::uint32_t first_row, float* sigma, float* noise);
void draw_projections(std::uint64_t seed, bool gaussian, std::int64_t rows, std::int64_t d, std::uint32_t step,
                      std::uint32_t first_row, float* v);

}  // namespace ebmkit::cpu
