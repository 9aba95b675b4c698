// What the RBM commands (rbm_command.cpp, ood_command.cpp) share about an RBM's data:
// grey levels to bits as its training data was binarised (the checkpoint's "binarize"
// metadata: threshold at 0.5, or a Bernoulli draw), and the base-rate model of that
// training data, from which AIS and RAISE anneal.
#pragma once

#include <cstdint>
#include <string>

#include "ebmkit/ebmkit.hpp"

namespace ebm {

// How the checkpoint's RBM binarised its training data: "threshold" (the default, also
// for files written before the key existed) or "sample".
std::string binarization_of(const ebmkit::SafeTensors& file);

// images [N, D] in [0, 1] as bits, the way `how` names; seed keys the draws of "sample".
ebmkit::Tensor binarized(const ebmkit::Tensor& images, const std::string& how, std::uint64_t seed);
// The same of a set's first `limit` images (all when limit <= 0).
ebmkit::Tensor binarized(const ebmkit::ImageSet& set, const std::string& how, std::uint64_t seed, std::int64_t limit);

// The base-rate visible biases (ebmkit::base_rate_bias) of the Fashion-MNIST training
// images in data_dir, binarised the way `how` names with seed, on ctx's device.
ebmkit::Tensor training_base_rate(ebmkit::Context& ctx, const std::string& data_dir, const std::string& how,
                                  std::uint64_t seed);

}  // namespace ebm
