#include "ebmkit/png.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <vector>

#include "ebmkit/error.hpp"

// The encoder is stb_image_write's (Debian libstb-dev), compiled into this file only.
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#endif
#include <stb/stb_image_write.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace ebmkit {

void write_png_grid(const std::string& path, ConstTensorView images, std::int64_t height, std::int64_t width,
                    std::int64_t columns) {
    if (images.rank() != 2 || images.dtype() != DType::F32 || images.numel() == 0 || height < 1 || width < 1 ||
        images.dim(1) != height * width || columns < 1) {
        throw Error("write_png_grid: images must be [N, " + std::to_string(height) + " * " + std::to_string(width) +
                    "] float32 and columns >= 1, got " + images.shape().str());
    }
    const std::int64_t n = images.dim(0), cols = std::min(columns, n), rows = (n + cols - 1) / cols;
    const std::int64_t w = cols * (width + 1) + 1, h = rows * (height + 1) + 1;
    constexpr std::int64_t most = std::numeric_limits<int>::max();
    if (w > most / 4 || h > most / w) {  // stb takes int sizes
        throw Error("write_png_grid: a " + std::to_string(w) + " x " + std::to_string(h) + " grid is too large");
    }
    Tensor host(images.shape());
    copy(images, host);
    std::vector<unsigned char> pixels(static_cast<std::size_t>(w * h), 128);  // borders mid-grey
    const float* px = host.data<float>();
    for (std::int64_t k = 0; k < n; ++k) {
        const std::int64_t oy = (k / cols) * (height + 1) + 1, ox = (k % cols) * (width + 1) + 1;
        for (std::int64_t y = 0; y < height; ++y) {
            for (std::int64_t x = 0; x < width; ++x) {
                const float v = std::clamp(px[k * height * width + y * width + x], 0.0f, 1.0f);
                pixels[(oy + y) * w + ox + x] = static_cast<unsigned char>(v * 255.0f + 0.5f);
            }
        }
    }
    if (!stbi_write_png(path.c_str(), static_cast<int>(w), static_cast<int>(h), 1, pixels.data(), static_cast<int>(w))) {
        throw Error("write_png_grid: cannot write " + path + ": " + std::strerror(errno));
    }
}

}  // namespace ebmkit
