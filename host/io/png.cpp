#include "ebmkit/png.hpp"

#include <zlib.h>

#include <algorithm>
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
    // One filter byte (0: none) before each scanline; border pixels mid-grey.
    std::vector<unsigned char> raw(static_cast<std::size_t>(h * (w + 1)), 128);
    for (std::int64_t y = 0; y < h; ++y) raw[y * (w + 1)] = 0;
    const float* px = host.data<float>();
    for (std::int64_t k = 0; k < n; ++k) {
        const std::int64_t oy = (k / cols) * (height + 1) + 1, ox = (k % cols) * (width + 1) + 1;
        for (std::int64_t y = 0; y < height; ++y) {
            for (std::int64_t x = 0; x < width; ++x) {
                const float v = std::clamp(px[k * height * width + y * width + x], 0.0f, 1.0f);
                raw[(oy + y) * (w + 1) + 1 + ox + x] = static_cast<unsigned char>(v * 255.0f + 0.5f);
            }
        }
    }
    uLongf packed_size = compressBound(static_cast<uLong>(raw.size()));
    std::vector<unsigned char> packed(packed_size);
    if (compress2(packed.data(), &packed_size, raw.data(), static_cast<uLong>(raw.size()), 9) != Z_OK) {
        throw Error("write_png_grid: compression failed");
    }
    packed.resize(packed_size);
    std::ofstream out(path, std::ios::binary);
    if (!out) throw Error("write_png_grid: cannot write " + path);
    const unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    out.write(reinterpret_cast<const char*>(signature), 8);
    std::vector<unsigned char> ihdr;
    put32(ihdr, static_cast<std::uint32_t>(w));
    put32(ihdr, static_cast<std::uint32_t>(h));
    ihdr.insert(ihdr.end(), {8, 0, 0, 0, 0});  // 8-bit greyscale, deflate, no interlace
    chunk(out, "IHDR", ihdr);
    chunk(out, "IDAT", packed);
    chunk(out, "IEND", {});
    if (!out) throw Error("write_png_grid: writing " + path + " failed");
}

}  // namespace ebmkit
