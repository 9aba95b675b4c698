#include "ebmkit/names.hpp"
#include "ebmkit/checkpoint.hpp"

#include <cmath>

#include <stdexcept>

#include "host/check.hpp"
#include "ebmkit/error.hpp"

namespace ebmkit {

namespace {

void check_finite(const ConstTensorView& t, const std::string& name, const std::string& what) {
    Tensor host(t.shape(), DType::F32);
    copy(t, host);
    for (float v : host.to_vector<float>()) {
        if (!std::isfinite(v)) throw Error(what + ": " + name + " has a non-finite value; not writing a checkpoint");
    }
}

ActivationKind activation_of(const std::string& name, const std::string& what) {
    const std::optional<ActivationKind> kind = value_named<ActivationKind>(name);
    if (!kind) throw Error(what + ": unknown activation \"" + name + "\"");
    return *kind;
}

}  // namespace

std::string join_integers(const std::vector<std::int64_t>& v) {
    std::string s;
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
    return s;
}

std::vector<std::int64_t> split_integers(const std::string& text, const std::string& what) {
    std::vector<std::int64_t> out;
    if (text.empty()) return out;
    std::size_t at = 0;
    while (at <= text.size()) {
        const std::size_t comma = std::min(text.find(',', at), text.size());
        try {
            std::size_t used = 0;
            out.push_back(std::stoll(text.substr(at, comma - at), &used));
            if (used != comma - at) throw std::invalid_argument(text);
        } catch (const std::logic_error&) {
            throw Error(what + ": \"" + text + "\" is not a list of comma-separated integers");
        }
        at = comma + 1;
    }
    return out;
}

const std::string& metadata_at(const SafeTensors& file, const std::string& key, const std::string& what) {
    const auto it = file.metadata.find(key);
    if (it == file.metadata.end()) throw Error(what + ": no \"" + key + "\" metadata");
    return it->second;
}

void add_model(CheckpointContents& out, const MlpEnergy& model, const std::string& what) {
    for (int l = 0; l < model.num_layers(); ++l) {
        const std::string prefix = "layers." + std::to_string(l);
        check_finite(model.weight(l), prefix + ".weight", what);
        check_finite(model.bias(l), prefix + ".bias", what);
        out.tensors.emplace_back(prefix + ".weight", model.weight(l));
        out.tensors.emplace_back(prefix + ".bias", model.bias(l));
    }
    out.metadata["widths"] = join_integers(model.widths());
    out.metadata["activation"] = to_string(model.activation().kind);
    out.metadata["leaky_slope"] = std::to_string(model.activation().leaky_slope);
}

void add_model(CheckpointContents& out, const Rbm& rbm, const std::string& what) {
    check_finite(rbm.w(), "W", what);
    check_finite(rbm.b(), "b", what);
    check_finite(rbm.c(), "c", what);
    out.tensors.emplace_back("W", rbm.w());
    out.tensors.emplace_back("b", rbm.b());
    out.tensors.emplace_back("c", rbm.c());
}

MlpEnergy read_mlp(const SafeTensors& file, Device device) {
    const std::string what = "read_mlp";
    Activation act{activation_of(metadata_at(file, "activation", what), what)};
    act.leaky_slope = std::stof(metadata_at(file, "leaky_slope", what));
    MlpEnergy model(split_integers(metadata_at(file, "widths", what), what + " (widths)"), act);
    for (int l = 0; l < model.num_layers(); ++l) {
        model.weight(l).copy_from(file.at("layers." + std::to_string(l) + ".weight", model.weight(l).shape()));
        model.bias(l).copy_from(file.at("layers." + std::to_string(l) + ".bias", model.bias(l).shape()));
    }
    return model.to(device);
}

Rbm read_rbm(const SafeTensors& file, Device device) {
    const Tensor& w = file.at("W");
    if (w.rank() != 2) throw Error("read_rbm: W must be [D, M], got " + w.shape().str());
    Rbm rbm(w.dim(0), w.dim(1));
    rbm.w().copy_from(w);
    rbm.b().copy_from(file.at("b", {w.dim(0)}));
    rbm.c().copy_from(file.at("c", {w.dim(1)}));
    return rbm.to(device);
}

}  // namespace ebmkit
