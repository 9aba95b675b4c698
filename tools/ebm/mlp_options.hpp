// What the commands that train an MLP energy (ebm jem, ebm score) read the same way:
// --widths, --activation, --optimizer, and a checkpoint's model.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "ebmkit/ebmkit.hpp"

namespace ebm {

// "784,256,256,10": at least two positive widths, else empty.
std::vector<std::int64_t> widths_of(const std::string& text);
// --widths' validator.
const CLI::Validator& widths_check();
// Names CLI::IsMember already checked.
ebmkit::Activation activation_of(const std::string& name);
ebmkit::OptimizerKind optimizer_of(const std::string& name);
// The checkpoint's model (its widths and activation from the metadata).
ebmkit::MlpEnergy model_from(const std::string& path, ebmkit::Device device);

}  // namespace ebm
