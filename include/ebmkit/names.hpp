/// @file
/// The names of the public enums: what to_string writes, what checkpoints, the `ebm`
/// command and the Python package read, and what they list as the choices. One table per
/// enum (host/names.cpp), read both ways:
///   for (const std::string& name : ebmkit::names_of<ebmkit::ActivationKind>()) ...
///   std::optional<ebmkit::Precision> p = ebmkit::value_named<ebmkit::Precision>("tf32");
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ebmkit/context.hpp"
#include "ebmkit/detail/sample_chain.hpp"
#include "ebmkit/mlp.hpp"
#include "ebmkit/ood_sets.hpp"
#include "ebmkit/optim.hpp"
#include "ebmkit/restoration.hpp"
#include "ebmkit/score.hpp"

namespace ebmkit {

/// Every value's name, in the enum's declaration order. E is Backend, Precision,
/// MlpPath, TilePlan, ActivationKind, OptimizerKind, SamplerKind, NoiseConditioning,
/// ScoreLoss, Projection, OodSet or MaskKind.
template <class E>
std::vector<std::string> names_of();

/// The value whose name is name (exactly, lower case), or none.
template <class E>
std::optional<E> value_named(const std::string& name);

}  // namespace ebmkit
