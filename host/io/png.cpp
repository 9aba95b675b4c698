#include "ebmkit/png.hpp"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <vector>

#include "ebmkit/error.hpp"

namespace ebmkit {

namespace {

void put32(std::vector<unsigned char>& out, std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<unsigned char>(v >> s));
}

// A PNG chunk: length, type, data, CRC of type and data.
void chunk(std::ofstream& out, const char type[4], const std::vector<unsigned char>& data) {
    std::vector<unsigned char> buf;
    put32(buf, static_cast<std::uint32_t>(data.size()));
    buf.insert(buf.end(), type, type + 4);
    buf.insert(buf.end(), data.begin(), data.end());
    put32(buf, static_cast<std::uint32_t>(crc32(0, buf.data() + 4, static_cast<uInt>(data.size() + 4))));
    out.write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(buf.size()));
}

// An 8-bit grey PNG from rows of w pixels (h rows).
void write_grey_png(const std::string& path, const std::vector<unsigned char>& pixels, std::int64_t w, std::int64_t h,
                    const char* op) {
    // One filter byte (0: none) before each scanline.
    std::vector<unsigned char> raw(static_cast<std::size_t>(h * (w + 1)));
    for (std::int64_t y = 0; y < h; ++y) {
        raw[y * (w + 1)] = 0;
        std::copy_n(pixels.begin() + y * w, w, raw.begin() + y * (w + 1) + 1);
    }
    uLongf packed_size = compressBound(static_cast<uLong>(raw.size()));
    std::vector<unsigned char> packed(packed_size);
    if (compress2(packed.data(), &packed_size, raw.data(), static_cast<uLong>(raw.size()), 9) != Z_OK) {
        throw Error(std::string(op) + ": compression failed");
    }
    packed.resize(packed_size);
    std::ofstream out(path, std::ios::binary);
    if (!out) throw Error(std::string(op) + ": cannot write " + path);
    const unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    out.write(reinterpret_cast<const char*>(signature), 8);
    std::vector<unsigned char> ihdr;
    put32(ihdr, static_cast<std::uint32_t>(w));
    put32(ihdr, static_cast<std::uint32_t>(h));
    ihdr.insert(ihdr.end(), {8, 0, 0, 0, 0});  // 8-bit greyscale, deflate, no interlace
    chunk(out, "IHDR", ihdr);
    chunk(out, "IDAT", packed);
    chunk(out, "IEND", {});
    if (!out) throw Error(std::string(op) + ": writing " + path + " failed");
}

}  // namespace

void write_png_grid(const std::string& path, ConstTensorView images, std::int64_t height, std::int64_t width,
                    std::int64_t columns) {
    if (images.rank() != 2 || images.dtype() != DType::F32 || images.numel() == 0 || height < 1 || width < 1 ||
        images.dim(1) != height * width || columns < 1) {
        throw Error("write_png_grid: images must be [N, " + std::to_string(height) + " * " + std::to_string(width) +
                    "] float32 and columns >= 1, got " + images.shape().str());
    }
    Tensor host(images.shape());
    copy(images, host);
    const std::int64_t n = images.dim(0), cols = std::min(columns, n), rows = (n + cols - 1) / cols;
    const std::int64_t w = cols * (width + 1) + 1, h = rows * (height + 1) + 1;
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
    write_grey_png(path, pixels, w, h, "write_png_grid");
}

void write_png_curves(const std::string& path, const std::vector<std::vector<double>>& series,
                      std::int64_t panel_width, std::int64_t panel_height) {
    constexpr const char* op = "write_png_curves";
    if (series.empty() || panel_width < 8 || panel_height < 8) {
        throw Error(std::string(op) + ": needs at least one series and panels of at least 8 x 8 pixels");
    }
    const std::int64_t margin = 4, w = panel_width, h = static_cast<std::int64_t>(series.size()) * panel_height;
    std::vector<unsigned char> pixels(static_cast<std::size_t>(w * h), 255);
    auto set = [&](std::int64_t x, std::int64_t y, unsigned char v) {
        if (x >= 0 && x < w && y >= 0 && y < h) pixels[y * w + x] = v;
    };
    for (std::size_t p = 0; p < series.size(); ++p) {
        const std::vector<double>& s = series[p];
        double lo = INFINITY, hi = -INFINITY;
        for (double v : s) {
            if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
        }
        if (!(lo <= hi)) throw Error(std::string(op) + ": series " + std::to_string(p) + " has no finite value");
        const std::int64_t top = static_cast<std::int64_t>(p) * panel_height;
        for (std::int64_t x = 0; x < w; ++x) set(x, top + panel_height - 1, 160);  // panel separator
        for (std::int64_t y = top; y < top + panel_height; ++y) set(0, y, 160);
        // Point i at x = margin + i / (n - 1) * (w - 2 margin), y from the top of the panel.
        auto at = [&](std::size_t i) {
            const double fx = s.size() > 1 ? static_cast<double>(i) / static_cast<double>(s.size() - 1) : 0.5;
            const double fy = hi > lo ? (s[i] - lo) / (hi - lo) : 0.5;
            return std::pair<double, double>{margin + fx * static_cast<double>(w - 2 * margin),
                                             top + margin + (1 - fy) * static_cast<double>(panel_height - 2 * margin)};
        };
        for (std::size_t i = 0; i < s.size(); ++i) {
            if (!std::isfinite(s[i])) continue;
            const auto [x1, y1] = at(i);
            for (int dx = -1; dx <= 1; ++dx) {
                for (int dy = -1; dy <= 1; ++dy) set(std::lround(x1) + dx, std::lround(y1) + dy, 0);
            }
            if (i + 1 >= s.size() || !std::isfinite(s[i + 1])) continue;
            const auto [x2, y2] = at(i + 1);
            const int steps = static_cast<int>(std::max(std::abs(x2 - x1), std::abs(y2 - y1))) + 1;
            for (int k = 0; k <= steps; ++k) {
                const double t = static_cast<double>(k) / steps;
                set(std::lround(x1 + t * (x2 - x1)), std::lround(y1 + t * (y2 - y1)), 0);
            }
        }
    }
    write_grey_png(path, pixels, w, h, op);
}

}  // namespace ebmkit
