// PNG output for sample grids.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ebmkit/tensor.hpp"

namespace ebmkit {

// Writes images [N, height * width] (host or device, values clamped to [0, 1]) as
// one 8-bit grey PNG: a grid of `columns` images per row with a 1-pixel border.
void write_png_grid(const std::string& path, ConstTensorView images, std::int64_t height, std::int64_t width,
                    std::int64_t columns);

// Writes training curves as one 8-bit grey PNG: a panel per series (stacked top to
// bottom, each scaled to its own minimum and maximum), the points joined by lines.
// Every series needs at least one finite value.
void write_png_curves(const std::string& path, const std::vector<std::vector<double>>& series,
                      std::int64_t panel_width = 320, std::int64_t panel_height = 100);

}  // namespace ebmkit
