/// @file
/// One checkpoint reader and writer per model, shared by the trainers and the `ebm`
/// command, over safetensors files (safetensors.hpp):
///   MlpEnergy: tensors layers.L.weight [widths[L+1], widths[L]] and layers.L.bias for layer L,
///              metadata widths ("784,256,256,10"), activation, leaky_slope
///   Rbm:       tensors W [D, M], b [D], c [M]
/// A trainer adds its own state (optimizer, replay buffer, counters) beside the model's.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "ebmkit/mlp.hpp"
#include "ebmkit/rbm.hpp"
#include "ebmkit/safetensors.hpp"
#include "ebmkit/tensor.hpp"

namespace ebmkit {

/// What save_safetensors writes: named views (host or device) and metadata.
struct CheckpointContents {
    std::vector<std::pair<std::string, ConstTensorView>> tensors;  ///< named views, host or device
    std::map<std::string, std::string> metadata;  ///< string metadata
    void write(const std::string& path) const { save_safetensors(path, tensors, metadata); }  ///< writes them (save_safetensors: atomically, beside the target then renamed)
};

/// @{
/// Adds the model's tensors and metadata; Error when a parameter is not finite (what
/// to_write names), so no checkpoint holds a diverged model.
void add_model(CheckpointContents& out, const MlpEnergy& model, const std::string& what);
void add_model(CheckpointContents& out, const Rbm& rbm, const std::string& what);
/// @}

/// @{
/// The checkpoint's model on device, its shape from the file; Error naming the file's
/// problem (a missing tensor or metadata, a shape that disagrees with the widths).
MlpEnergy read_mlp(const SafeTensors& file, Device device);
Rbm read_rbm(const SafeTensors& file, Device device);
/// @}

/// @{
/// Integer lists in metadata: "784,256,10" (empty for none); split_integers throws Error
/// naming what for anything else.
std::string join_integers(const std::vector<std::int64_t>& v);
std::vector<std::int64_t> split_integers(const std::string& text, const std::string& what);
/// @}

/// The value of a metadata key; Error naming what and the key when it is absent.
const std::string& metadata_at(const SafeTensors& file, const std::string& key, const std::string& what);

}  // namespace ebmkit
