// libFuzzer harness: load_idx on arbitrary bytes (plain or gzip) must return a data
// set or throw ebmkit::Error. The first byte picks which file is fuzzed, the images
// or the labels; the other is a valid file of 2 items (tools/fuzz.sh).
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "ebmkit/data.hpp"
#include "ebmkit/error.hpp"

namespace {

void write(const std::string& path, const std::uint8_t* data, std::size_t size) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return;
    std::fwrite(data, 1, size, f);
    std::fclose(f);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    static const std::string base = "/tmp/ebmkit-fuzz-" + std::to_string(getpid());
    const std::string images = base + "-images", labels = base + "-labels";
    // Two 2 x 2 images and their two labels.
    static const std::vector<std::uint8_t> good_images = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2,
                                                          0, 255, 128, 7, 1, 2, 3, 4};
    static const std::vector<std::uint8_t> good_labels = {0, 0, 8, 1, 0, 0, 0, 2, 3, 9};
    const bool fuzz_images = data[0] % 2 == 0;
    write(images, fuzz_images ? data + 1 : good_images.data(), fuzz_images ? size - 1 : good_images.size());
    write(labels, fuzz_images ? good_labels.data() : data + 1, fuzz_images ? good_labels.size() : size - 1);
    try {
        const ebmkit::ImageSet set = ebmkit::load_idx(images, labels);
        (void)set.images.to_vector<float>().size();
    } catch (const ebmkit::Error&) {
    }
    return 0;
}
