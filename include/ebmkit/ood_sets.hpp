// Out-of-distribution sets built from what is installed, no download (issue 30): each a
// transform of a test set of images [N, height * width] (host, values in [0, 1]) into N
// images of the same shape and range that are not like the data:
//   uniform      every pixel U(0, 1)
//   gaussian     every pixel N(m, s^2) clipped to [0, 1], m and s the test set's pixel
//                mean and standard deviation
//   constant     every pixel of image r one value, U(0, 1)
//   flip         image r upside down (row i <- row height - 1 - i)
//   invert       1 - x
//   permute      the pixels of every image in one fixed random order
// The draws are Philox's, keyed (seed, OodSet, chain = image, step = the set's index);
// the permutation is a Fisher-Yates shuffle keyed likewise (chain 0).
#pragma once

#include <cstdint>

#include "ebmkit/tensor.hpp"

namespace ebmkit {

enum class OodSet { Uniform, Gaussian, Constant, Flip, Invert, Permute };
const char* to_string(OodSet set);

// Error naming the argument for images that are not a non-empty [N, height * width]
// float32 host tensor with values in [0, 1].
Tensor make_ood_set(OodSet set, const Tensor& images, std::int64_t height, std::int64_t width, std::uint64_t seed);

}  // namespace ebmkit
