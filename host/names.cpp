// The public enums' name tables (include/ebmkit/names.hpp): to_string, names_of and
// value_named all read these, so a name is spelled once.
#include "ebmkit/names.hpp"

#include <cstddef>
#include <utility>

namespace ebmkit {

namespace {

template <class E>
struct Table;

template <>
struct Table<Backend> {
    static constexpr std::pair<Backend, const char*> entries[] = {
        {Backend::Cpu, "cpu"}, {Backend::Cuda, "cuda"}, {Backend::Auto, "auto"}};
};
template <>
struct Table<Precision> {
    static constexpr std::pair<Precision, const char*> entries[] = {
        {Precision::Fp32, "fp32"}, {Precision::Tf32, "tf32"}, {Precision::Bf16, "bf16"}};
};
template <>
struct Table<MlpPath> {
    static constexpr std::pair<MlpPath, const char*> entries[] = {
        {MlpPath::Auto, "auto"}, {MlpPath::Fused, "fused"}, {MlpPath::Unfused, "unfused"}};
};
template <>
struct Table<TilePlan> {
    static constexpr std::pair<TilePlan, const char*> entries[] = {
        {TilePlan::Auto, "auto"}, {TilePlan::RowTiles, "row_tiles"}, {TilePlan::Clusters, "clusters"},
        {TilePlan::Grid, "grid"}};
};
template <>
struct Table<ActivationKind> {
    static constexpr std::pair<ActivationKind, const char*> entries[] = {
        {ActivationKind::Relu, "relu"}, {ActivationKind::LeakyRelu, "leaky_relu"}, {ActivationKind::Elu, "elu"},
        {ActivationKind::Silu, "silu"}, {ActivationKind::Tanh, "tanh"},           {ActivationKind::Softplus, "softplus"}};
};
template <>
struct Table<OptimizerKind> {
    static constexpr std::pair<OptimizerKind, const char*> entries[] = {
        {OptimizerKind::Sgd, "sgd"}, {OptimizerKind::Adam, "adam"}, {OptimizerKind::Adamax, "adamax"}};
};
template <>
struct Table<SamplerKind> {
    static constexpr std::pair<SamplerKind, const char*> entries[] = {
        {SamplerKind::Ula, "ula"}, {SamplerKind::Mala, "mala"}, {SamplerKind::Hmc, "hmc"}};
};
template <>
struct Table<NoiseConditioning> {
    static constexpr std::pair<NoiseConditioning, const char*> entries[] = {
        {NoiseConditioning::None, "none"}, {NoiseConditioning::ScaledByNoise, "scaled_by_noise"}};
};
template <>
struct Table<ScoreLoss> {
    static constexpr std::pair<ScoreLoss, const char*> entries[] = {
        {ScoreLoss::Denoising, "dsm"}, {ScoreLoss::Sliced, "ssm"}, {ScoreLoss::SlicedVarianceReduced, "ssm_vr"}};
};
template <>
struct Table<Projection> {
    static constexpr std::pair<Projection, const char*> entries[] = {
        {Projection::Rademacher, "rademacher"}, {Projection::Gaussian, "gaussian"}};
};
template <>
struct Table<OodSet> {
    static constexpr std::pair<OodSet, const char*> entries[] = {
        {OodSet::Uniform, "uniform"}, {OodSet::Gaussian, "gaussian"}, {OodSet::Constant, "constant"},
        {OodSet::Flip, "flip"},       {OodSet::Invert, "invert"},     {OodSet::Permute, "permute"}};
};
template <>
struct Table<MaskKind> {
    static constexpr std::pair<MaskKind, const char*> entries[] = {
        {MaskKind::Top, "top"}, {MaskKind::Left, "left"}, {MaskKind::Box, "box"}, {MaskKind::Random, "random"}};
};

template <class E>
const char* name_of(E value) {
    for (const auto& [e, name] : Table<E>::entries) {
        if (e == value) return name;
    }
    return "?";
}

}  // namespace

template <class E>
std::vector<std::string> names_of() {
    std::vector<std::string> names;
    for (const auto& entry : Table<E>::entries) names.emplace_back(entry.second);
    return names;
}

template <class E>
std::optional<E> value_named(const std::string& name) {
    for (const auto& [e, n] : Table<E>::entries) {
        if (name == n) return e;
    }
    return std::nullopt;
}

#define EBMKIT_ENUM_NAMES(E)                                                  \
    template std::vector<std::string> names_of<E>();                          \
    template std::optional<E> value_named<E>(const std::string& name);        \
    const char* to_string(E value) { return name_of(value); }
EBMKIT_ENUM_NAMES(Backend)
EBMKIT_ENUM_NAMES(Precision)
EBMKIT_ENUM_NAMES(MlpPath)
EBMKIT_ENUM_NAMES(TilePlan)
EBMKIT_ENUM_NAMES(ActivationKind)
EBMKIT_ENUM_NAMES(OptimizerKind)
EBMKIT_ENUM_NAMES(SamplerKind)
EBMKIT_ENUM_NAMES(NoiseConditioning)
EBMKIT_ENUM_NAMES(ScoreLoss)
EBMKIT_ENUM_NAMES(Projection)
EBMKIT_ENUM_NAMES(OodSet)
EBMKIT_ENUM_NAMES(MaskKind)
#undef EBMKIT_ENUM_NAMES

}  // namespace ebmkit
