// Loading a model checkpoint for a command that takes one kind of model. The kind is
// the "format" metadata each trainer writes; a checkpoint of another kind is named
// for what it holds ("holds an RBM (ebm rbm train), not a JEM") rather than failing
// later on a tensor or a metadata key it lacks.
#pragma once

#include <initializer_list>
#include <string>

#include "ebmkit/safetensors.hpp"

namespace ebm {

enum class ModelKind { Rbm, Jem, Score };

// The file at path, checked to hold one of the accepted kinds. A file without
// "format" metadata (written by the library, not a trainer) is taken as it is.
ebmkit::SafeTensors load_model_file(const std::string& path, std::initializer_list<ModelKind> accepted);

}  // namespace ebm
