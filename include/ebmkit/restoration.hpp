/// @file
/// Inpainting's masks, baselines and metrics (issue 30): which pixels of an image are
/// observed, what a restoration is scored by, and what it is compared against. Host
/// tensors of images [N, height * width] with values in [0, 1].
///   masks (1 = observed, 0 = missing):
///     top     the top half missing (rows < height / 2)
///     left    the left half missing (columns < width / 2)
///     box     a centred box of half the height and width missing
///     random  each pixel missing with probability `rate`, Philox keyed (seed,
///             InpaintMask, chain = image, step 0)
///   metrics over the missing pixels of every image: the mean squared error of a
///   restoration (a value or probability per pixel) and, for binary truth, the mean
///   binary cross-entropy (probabilities clipped to [1e-6, 1 - 1e-6])
///   baselines: the mean training image; the training image nearest on the observed
///   pixels (least squared distance there), its missing pixels taken as they are.
#pragma once

#include <cstdint>

#include "ebmkit/tensor.hpp"

namespace ebmkit {

/// Which pixels a mask hides (see the file's description).
enum class MaskKind { Top, Left, Box, Random };
/// The name as the ebm command spells it ("top", "left", "box", "random").
const char* to_string(MaskKind kind);

/// Masks [rows, height * width] float32 on the host, 1 where observed and 0 where missing;
/// rate is the Random mask's missing fraction in [0, 1], seed keys its draws.
Tensor make_mask(MaskKind kind, std::int64_t rows, std::int64_t height, std::int64_t width, double rate,
                 std::uint64_t seed);

/// A restoration's error over the missing pixels.
struct RestorationError {
    double mse = 0;            ///< mean squared error
    double cross_entropy = 0;  ///< NaN unless the truth is binary
    std::int64_t missing = 0;  ///< pixels scored
};
/// The error of restored [N, D] against truth [N, D] where mask [N, D] is 0 (host tensors
/// of the same shape; Error naming the argument otherwise, or when no pixel is missing).
RestorationError restoration_error(const Tensor& restored, const Tensor& truth, const Tensor& mask);

/// Denoising's measures: the PSNR (peak 1) of images against clean ones, both clipped to
/// [0, 1]; and the classic filters of each height x width image, the 3 x 3 median and the
/// 3 x 3 mean weighted by a Gaussian of sd 1 pixel (edges clamped).
/// @{
double psnr(const Tensor& images, const Tensor& clean);
Tensor median_filter_3x3(const Tensor& images, std::int64_t height, std::int64_t width);
Tensor gaussian_filter_3x3(const Tensor& images, std::int64_t height, std::int64_t width);
/// @}

/// Each image's missing pixels from the mean of training [M, D] (observed pixels as given).
Tensor mean_image_restoration(const Tensor& images, const Tensor& mask, const Tensor& training);
/// Each image's missing pixels from the training image nearest on its observed pixels.
Tensor nearest_image_restoration(const Tensor& images, const Tensor& mask, const Tensor& training);

}  // namespace ebmkit
