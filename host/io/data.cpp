#include "ebmkit/data.hpp"

#include <zlib.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "ebmkit/error.hpp"
#include "ebmkit/philox.hpp"

namespace ebmkit {

namespace {

// The whole file, gunzipped when it is gzip (zlib reads plain files unchanged).
std::vector<unsigned char> read_maybe_gzip(const std::string& path) {
    std::unique_ptr<gzFile_s, int (*)(gzFile)> f(gzopen(path.c_str(), "rb"), gzclose);
    if (!f) throw Error("load_idx: cannot open " + path);
    std::vector<unsigned char> out;
    unsigned char buf[1 << 16];
    for (;;) {
        const int n = gzread(f.get(), buf, sizeof buf);
        if (n < 0) throw Error("load_idx: " + path + " is not a readable (gzip) file");
        if (n == 0) break;
        out.insert(out.end(), buf, buf + n);
    }
    return out;
}

std::uint32_t big_endian(const std::vector<unsigned char>& b, std::size_t at) {
    return std::uint32_t(b[at]) << 24 | std::uint32_t(b[at + 1]) << 16 | std::uint32_t(b[at + 2]) << 8 | b[at + 3];
}

// Checks the magic and dimension count, returns the dimensions and the data offset.
std::vector<std::int64_t> idx_dims(const std::vector<unsigned char>& b, const std::string& path, std::uint32_t magic) {
    const std::uint32_t dims = magic & 0xff;
    if (b.size() < 4 + 4 * dims || big_endian(b, 0) != magic) {
        throw Error("load_idx: " + path + " is not an IDX file of unsigned bytes with " + std::to_string(dims) +
                    " dimensions");
    }
    std::vector<std::int64_t> d;
    std::int64_t total = 1;
    for (std::uint32_t i = 0; i < dims; ++i) {
        d.push_back(big_endian(b, 4 + 4 * i));
        // A product beyond the file's size is a bad header; stop before it can overflow.
        if (d.back() != 0 && total > static_cast<std::int64_t>(b.size()) / d.back()) {
            throw Error("load_idx: " + path + " holds " + std::to_string(b.size()) +
                        " bytes but its header promises more");
        }
        total *= d.back();
    }
    if (static_cast<std::int64_t>(b.size()) != 4 + 4 * dims + total) {
        throw Error("load_idx: " + path + " holds " + std::to_string(b.size()) + " bytes but its header promises " +
                    std::to_string(4 + 4 * dims + total));
    }
    return d;
}

}  // namespace

ImageSet load_idx(const std::string& images_path, const std::string& labels_path) {
    const auto ib = read_maybe_gzip(images_path);
    const auto lb = read_maybe_gzip(labels_path);
    const auto id = idx_dims(ib, images_path, 0x00000803);
    const auto ld = idx_dims(lb, labels_path, 0x00000801);
    if (id[0] != ld[0] || id[0] == 0) {
        throw Error("load_idx: " + images_path + " has " + std::to_string(id[0]) + " images but " + labels_path +
                    " has " + std::to_string(ld[0]) + " labels");
    }
    ImageSet set;
    set.height = id[1];
    set.width = id[2];
    const std::int64_t n = id[0], pixels = id[1] * id[2];
    set.images = Tensor({n, pixels});
    set.labels = Tensor({n}, DType::I32);
    float* img = set.images.data<float>();
    for (std::int64_t i = 0; i < n * pixels; ++i) img[i] = ib[16 + i] / 255.0f;
    std::int32_t* lab = set.labels.data<std::int32_t>();
    for (std::int64_t i = 0; i < n; ++i) lab[i] = lb[8 + i];
    return set;
}

ImageSet load_fashion_mnist(const std::string& dir, const std::string& split) {
    if (split != "train" && split != "test") {
        throw Error("load_fashion_mnist: split must be \"train\" or \"test\", got \"" + split + "\"");
    }
    const std::string prefix = dir + "/" + (split == "train" ? "train" : "t10k");
    auto pick = [](const std::string& base) {
        const std::string gz = base + ".gz";
        if (std::unique_ptr<gzFile_s, int (*)(gzFile)>(gzopen(gz.c_str(), "rb"), gzclose)) return gz;
        return base;
    };
    try {
        return load_idx(pick(prefix + "-images-idx3-ubyte"), pick(prefix + "-labels-idx1-ubyte"));
    } catch (const Error& e) {
        throw Error(std::string(e.what()) + " (Fashion-MNIST comes from the Debian package dataset-fashion-mnist)");
    }
}

Tensor binarize_threshold(const Tensor& images, float threshold) {
    Tensor out(images.shape());
    const float* in = images.data<float>();
    float* o = out.data<float>();
    for (std::int64_t i = 0; i < images.numel(); ++i) o[i] = in[i] > threshold ? 1.0f : 0.0f;
    return out;
}

Tensor binarize_sample(const Tensor& images, std::uint64_t seed) {
    Tensor out(images.shape());
    const std::int64_t rows = images.dim(0), cols = images.dim(1);
    const float* in = images.data<float>();
    float* o = out.data<float>();
    const PhiloxKey key = philox_key(seed);
#pragma omp parallel for schedule(static)
    for (std::int64_t r = 0; r < rows; ++r) {
        for (std::int64_t i0 = 0; i0 < cols; i0 += 4) {
            float u[4];
            uniform4(philox4x32_10(philox_counter(RngPurpose::DataSample, static_cast<std::uint32_t>(r), 0,
                                                  static_cast<std::uint32_t>(i0 / 4)),
                                   key),
                     u);
            for (std::int64_t i = i0; i < std::min(i0 + 4, cols); ++i) o[r * cols + i] = u[i - i0] <= in[r * cols + i] ? 1.0f : 0.0f;
        }
    }
    return out;
}

}  // namespace ebmkit
