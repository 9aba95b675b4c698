/// @file
/// Out-of-distribution sets built from what is installed, no download (issue 30): each a
/// transform of a test set of images [N, height * width] (host, values in [0, 1]) into N
/// images of the same shape and range that are not like the data:
///   uniform      every pixel U(0, 1)
///   gaussian     every pixel N(m, s^2) clipped to [0, 1], m and s the test set's pixel
///                mean and standard deviation
///   constant     every pixel of image r one value, U(0, 1)
///   flip         image r upside down (row i <- row height - 1 - i)
///   invert       1 - x
///   permute      the pixels of every image in one fixed random order
/// The draws are Philox's, keyed (seed, OodSet, chain = image, step = the set's index);
/// the permutation is a Fisher-Yates shuffle keyed likewise (chain 0).
#pragma once

#include <cstdint>
#include <vector>

#include "ebmkit/tensor.hpp"

namespace ebmkit {

/// The out-of-distribution sets (see the file's description).
enum class OodSet { Uniform, Gaussian, Constant, Flip, Invert, Permute };
/// The name as the ebm command spells it ("uniform", "gaussian", ...).
const char* to_string(OodSet set);

/// Error naming the argument for images that are not a non-empty [N, height * width]
/// float32 host tensor with values in [0, 1].
Tensor make_ood_set(OodSet set, const Tensor& images, std::int64_t height, std::int64_t width, std::uint64_t seed);

/// Held-out classes: the rows of a labelled set (images [N, D] float32, labels [N] int32,
/// host) whose label is among `classes` (inside) or is not (outside), in order, with their
/// labels; inside, each label replaced by its index in `classes` (a model trained on
/// classes {5, 7} sees labels 0 and 1). Error naming the argument for an empty or
/// repeated class list, or a class no row has.
struct LabelledRows {
    Tensor images;  ///< [n, D] float32
    Tensor labels;  ///< [n] int32
};
/// @copydoc LabelledRows
LabelledRows rows_of_classes(const Tensor& images, const Tensor& labels, const std::vector<int>& classes, bool inside);

}  // namespace ebmkit
