#include "ebmkit/mlp_energy_view.hpp"

#include <string>

#include "check.hpp"

namespace ebmkit {

MlpEnergyView MlpEnergyView::of(const MlpEnergy& model, int label) {
    constexpr const char* op = "MlpEnergyView::of";
    if (model.num_layers() > max_view_layers) {
        detail::fail(std::string(op) + ": the model has " + std::to_string(model.num_layers()) + " layers, at most " +
                     std::to_string(max_view_layers) + " are viewed");
    }
    if (label < -1 || label >= model.num_outputs()) {
        detail::fail(std::string(op) + ": label " + std::to_string(label) + " is outside [0, " +
                     std::to_string(model.num_outputs()) + ") (or -1, no label)");
    }
    MlpEnergyView v;
    v.layers = model.num_layers();
    for (int l = 0; l <= v.layers; ++l) v.widths[l] = static_cast<int>(model.widths()[l]);
    for (int l = 0; l < v.layers; ++l) {
        v.weights[l] = model.weight(l).data<float>();
        v.biases[l] = model.bias(l).data<float>();
    }
    v.activation = model.activation().kind;
    v.slope = model.activation().leaky_slope;
    v.label = label;
    v.on = model.device();
    return v;
}

}  // namespace ebmkit
