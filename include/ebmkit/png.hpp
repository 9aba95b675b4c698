/// @file
/// PNG output for sample grids (stb_image_write underneath).
#pragma once

#include <cstdint>
#include <string>

#include "ebmkit/tensor.hpp"

namespace ebmkit {

/// Writes images [N, height * width] (host or device, values clamped to [0, 1]) as
/// one 8-bit grey PNG: a grid of `columns` images per row with a 1-pixel border.
void write_png_grid(const std::string& path, ConstTensorView images, std::int64_t height, std::int64_t width,
                    std::int64_t columns);

}  // namespace ebmkit
