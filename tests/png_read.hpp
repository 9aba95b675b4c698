// Reads a PNG back for a test, through stb_image (a decoder apart from the encoder
// under test). Include in one source file per test binary.
#pragma once

#include <string>
#include <vector>

#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_ONLY_PNG
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#endif
#include <stb/stb_image.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace ebmkit::test {

struct Image {
    int width = 0, height = 0, channels = 0;  // channels as stored in the file
    std::vector<unsigned char> pixels;        // rows of width * channels bytes; empty when unreadable
    unsigned char at(int x, int y, int c = 0) const { return pixels[(y * width + x) * channels + c]; }
};

inline Image read_png(const std::string& path) {
    Image image;
    unsigned char* p = stbi_load(path.c_str(), &image.width, &image.height, &image.channels, 0);
    if (!p) return image;
    image.pixels.assign(p, p + image.width * image.height * image.channels);
    stbi_image_free(p);
    return image;
}

}  // namespace ebmkit::test
