// CPU reference of the MLP energy (kernels/mlp.cu's twin), accumulating in double.
#pragma once

#include <cstdint>
#include <vector>

#include "ebmkit/mlp.hpp"

namespace ebmkit::cpu {

// Raw host pointers to a model's (or a gradient's) parameters.
template <typename T>
struct MlpParams {
    std::vector<std::int64_t> widths;  // {input, hidden..., K}
    Activation activation;
    std::vector<T*> weights;  // layer l: [widths[l+1], widths[l]]
    std::vector<T*> biases;   // layer l: [widths[l+1]]
};

MlpParams<const float> params_of(const MlpEnergy& model);
MlpParams<float> params_of(MlpEnergy& model);

// One row's forward and backward pass, all in double.
class MlpRow {
public:
    explicit MlpRow(const MlpParams<const float>& params);
    // Fills the pre-activations z_l and activations a_l of every layer.
    void forward(const float* x);
    const std::vector<double>& logits() const { return z_.back(); }
    // Back-propagates dlogits = dL/df(x); afterwards dz(l) = dL/dz_l for every layer
    // and input_grad() = dL/dx.
    void backward(const double* dlogits);
    const std::vector<double>& input(int layer) const { return a_[layer]; }  // a_0 = x
    const std::vector<double>& dz(int layer) const { return dz_[layer]; }
    const std::vector<double>& input_grad() const { return dx_; }
    // dE/df for E(x) = -LSE f(x) (label < 0) or E(x, y) = -f(x)[label].
    void energy_dlogits(int label, std::vector<double>& out) const;
    double energy(int label) const;

private:
    const MlpParams<const float>& p_;
    std::vector<std::vector<double>> z_, a_, dz_;
    std::vector<double> dx_;
};

void mlp_logits(const MlpParams<const float>& p, const float* x, std::int64_t rows, float* logits);
// labels may be null (E(x)); else E(x, labels[r]).
void energy(const MlpParams<const float>& p, const float* x, const std::int32_t* labels, std::int64_t rows,
            float* energy);
// grad_x E per row; energy (nullable) receives E.
void energy_grad_x(const MlpParams<const float>& p, const float* x, const std::int32_t* labels,
                   std::int64_t rows, float* grad, float* energy = nullptr);
void param_grad(const MlpParams<const float>& p, const float* x, const float* dlogits, std::int64_t rows,
                const MlpParams<float>& grad, bool accumulate);

}  // namespace ebmkit::cpu
