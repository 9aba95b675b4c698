#include "model_file.hpp"

#include "ebmkit/error.hpp"

namespace ebm {
namespace {

struct KindName {
    ModelKind kind;
    const char* format;  // the "format" metadata its trainer writes
    const char* noun;
    const char* command;
};

constexpr KindName kinds[] = {
    {ModelKind::Rbm, "ebmkit-rbm", "an RBM", "ebm rbm"},
    {ModelKind::Jem, "ebmkit-jem", "a JEM", "ebm jem"},
    {ModelKind::Score, "ebmkit-score", "a score model", "ebm score"},
};

const KindName& named(ModelKind kind) {
    for (const KindName& k : kinds)
        if (k.kind == kind) return k;
    return kinds[0];  // unreachable: every kind is listed
}

}  // namespace

ebmkit::SafeTensors load_model_file(const std::string& path, std::initializer_list<ModelKind> accepted) {
    ebmkit::SafeTensors file = ebmkit::load_safetensors(path);
    const auto format = file.metadata.find("format");
    if (format == file.metadata.end()) return file;
    for (const ModelKind kind : accepted)
        if (format->second == named(kind).format) return file;
    std::string wanted;
    for (const ModelKind kind : accepted) wanted += std::string(wanted.empty() ? "" : " or ") + named(kind).noun;
    for (const KindName& k : kinds) {
        if (format->second == k.format)
            throw ebmkit::Error(path + " holds " + k.noun + " (use " + k.command + "), not " + wanted);
    }
    throw ebmkit::Error(path + ": format \"" + format->second + "\" is not " + wanted);
}

}  // namespace ebm
