#include "mlp_options.hpp"

#include <exception>
#include <sstream>

#include "cli.hpp"
#include "model_file.hpp"

namespace ebm {

using namespace ebmkit;

Activation activation_of(const std::string& name) {
    const std::optional<ActivationKind> kind = value_named<ActivationKind>(name);
    if (!kind) throw UsageError{"--activation: unknown activation '" + name + "'"};  // IsMember checked it
    return {*kind};  // the library's default leaky slope (0.01, as PyTorch)
}

// "784,256,256,10": at least two positive widths.
std::vector<std::int64_t> widths_of(const std::string& text) {
    std::vector<std::int64_t> w;
    std::stringstream in(text);
    for (std::string item; std::getline(in, item, ',');) {
        std::size_t end = 0;
        long long v = 0;
        try {
            v = std::stoll(item, &end);
        } catch (const std::exception&) {
            end = 0;
        }
        if (end == 0 || end != item.size() || v < 1) return {};
        w.push_back(v);
    }
    return w.size() >= 2 ? w : std::vector<std::int64_t>{};
}

const CLI::Validator& widths_check() {
    static const CLI::Validator check(
        [](std::string& text) -> std::string {
            return widths_of(text).empty() ? "needs two or more comma-separated positive integers, got '" + text + "'"
                                           : "";
        },
        "W1,W2,...");
    return check;
}

OptimizerKind optimizer_of(const std::string& name) {
    const std::optional<OptimizerKind> kind = value_named<OptimizerKind>(name);
    if (!kind) throw UsageError{"--optimizer: unknown optimizer '" + name + "'"};  // IsMember checked it
    return *kind;
}

MlpEnergy model_from(const std::string& path, Device device) {
    return read_mlp(load_model_file(path, {ModelKind::Jem}), device);
}

}  // namespace ebm
