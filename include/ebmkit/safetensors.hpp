/// @file
/// Checkpoints as safetensors files: an 8-byte little-endian header length, a JSON
/// header {"name": {"dtype": "F32"|"I32", "shape": [...], "data_offsets": [begin, end]},
/// "__metadata__": {"key": "value"}}, then the raw little-endian data. PyTorch's and
/// NumPy's safetensors readers load them as they are.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "ebmkit/tensor.hpp"

namespace ebmkit {

/// A safetensors file read whole: its tensors (host, float32 or int32) and its string metadata.
struct SafeTensors {
    std::map<std::string, Tensor> tensors;              ///< host tensors
    std::map<std::string, std::string> metadata;  ///< the file's __metadata__
    /// @{
    /// The named tensor; Error when absent or of another shape (any_shape skips that check).
    const Tensor& at(const std::string& name) const;
    const Tensor& at(const std::string& name, const Shape& shape) const;
    /// @}
};

/// Writes every tensor (host or device) with the metadata; the file is written to a
/// temporary name and renamed, so a crash never leaves a half-written checkpoint.
void save_safetensors(const std::string& path, const std::vector<std::pair<std::string, ConstTensorView>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

/// Reads and validates a file: Error naming the file and the problem for a short
/// file, a bad header length, malformed JSON, an unknown dtype, overlapping or
/// out-of-range offsets, or a size that does not match the shape.
SafeTensors load_safetensors(const std::string& path);

}  // namespace ebmkit
