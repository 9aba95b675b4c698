#include "ebmkit/ood_sets.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "check.hpp"
#include "ebmkit/philox.hpp"

namespace ebmkit {

namespace {

// Four uniforms (0, 1] of image r's block b.
void uniforms(std::uint64_t seed, OodSet set, std::uint32_t chain, std::uint32_t block, float out[4]) {
    uniform4(philox4x32_10(philox_counter(RngPurpose::OodSet, chain, static_cast<std::uint32_t>(set), block),
                           philox_key(seed)),
             out);
}

}  // namespace

Tensor make_ood_set(OodSet set, const Tensor& images, std::int64_t height, std::int64_t width, std::uint64_t seed) {
    constexpr const char* op = "make_ood_set";
    if (height < 1 || width < 1) detail::fail(std::string(op) + ": height and width must be >= 1");
    detail::check_tensor(op, "images", images, {detail::any_dim, height * width}, DType::F32, Device::Host);
    const std::int64_t n = images.dim(0), d = height * width;
    const float* x = images.data<float>();
    for (std::int64_t i = 0; i < n * d; ++i) {
        if (!(x[i] >= 0.0f && x[i] <= 1.0f)) {
            detail::fail(std::string(op) + ": images[" + std::to_string(i / d) + ", " + std::to_string(i % d) +
                         "] = " + std::to_string(x[i]) + " is outside [0, 1]");
        }
    }
    Tensor out({n, d});
    float* y = out.data<float>();
    switch (set) {
        case OodSet::Uniform:
            for (std::int64_t r = 0; r < n; ++r) {
                for (std::int64_t i = 0; i < d; i += 4) {
                    float u[4];
                    uniforms(seed, set, static_cast<std::uint32_t>(r), static_cast<std::uint32_t>(i / 4), u);
                    for (std::int64_t j = i; j < std::min(i + 4, d); ++j) y[r * d + j] = std::min(u[j - i], 1.0f);
                }
            }
            break;
        case OodSet::Gaussian: {
            double mean = 0, sq = 0;
            for (std::int64_t i = 0; i < n * d; ++i) mean += x[i];
            mean /= static_cast<double>(n * d);
            for (std::int64_t i = 0; i < n * d; ++i) sq += (x[i] - mean) * (x[i] - mean);
            const double sd = std::sqrt(sq / static_cast<double>(n * d));
            const PhiloxKey key = philox_key(seed);
            for (std::int64_t r = 0; r < n; ++r) {
                for (std::int64_t i = 0; i < d; i += 4) {
                    float z[4];
                    normal4(philox4x32_10(philox_counter(RngPurpose::OodSet, static_cast<std::uint32_t>(r),
                                                         static_cast<std::uint32_t>(set), static_cast<std::uint32_t>(i / 4)),
                                          key),
                            z);
                    for (std::int64_t j = i; j < std::min(i + 4, d); ++j) {
                        y[r * d + j] = static_cast<float>(std::clamp(mean + sd * z[j - i], 0.0, 1.0));
                    }
                }
            }
            break;
        }
        case OodSet::Constant:
            for (std::int64_t r = 0; r < n; ++r) {
                float u[4];
                uniforms(seed, set, static_cast<std::uint32_t>(r), 0, u);
                std::fill(y + r * d, y + (r + 1) * d, std::min(u[0], 1.0f));
            }
            break;
        case OodSet::Flip:
            for (std::int64_t r = 0; r < n; ++r) {
                for (std::int64_t i = 0; i < height; ++i) {
                    std::copy_n(x + r * d + (height - 1 - i) * width, width, y + r * d + i * width);
                }
            }
            break;
        case OodSet::Invert:
            for (std::int64_t i = 0; i < n * d; ++i) y[i] = 1.0f - x[i];
            break;
        case OodSet::Permute: {
            std::vector<std::int64_t> order(static_cast<std::size_t>(d));
            for (std::int64_t i = 0; i < d; ++i) order[i] = i;
            for (std::int64_t i = d - 1; i > 0; --i) {
                float u[4];
                uniforms(seed, set, 0, static_cast<std::uint32_t>(i), u);
                const auto j = std::min<std::int64_t>(i, static_cast<std::int64_t>(u[0] * static_cast<float>(i + 1)));
                std::swap(order[i], order[j]);
            }
            for (std::int64_t r = 0; r < n; ++r) {
                for (std::int64_t i = 0; i < d; ++i) y[r * d + i] = x[r * d + order[i]];
            }
            break;
        }
    }
    return out;
}

LabelledRows rows_of_classes(const Tensor& images, const Tensor& labels, const std::vector<int>& classes, bool inside) {
    constexpr const char* op = "rows_of_classes";
    detail::check_tensor(op, "images", images, {detail::any_dim, detail::any_dim}, DType::F32, Device::Host);
    detail::check_tensor(op, "labels", labels, {images.dim(0)}, DType::I32, Device::Host);
    if (classes.empty()) detail::fail(std::string(op) + ": classes is empty");
    const std::int64_t n = images.dim(0), d = images.dim(1);
    const std::int32_t* y = labels.data<std::int32_t>();
    for (std::size_t i = 0; i < classes.size(); ++i) {
        if (std::find(classes.begin(), classes.begin() + static_cast<std::ptrdiff_t>(i), classes[i]) !=
            classes.begin() + static_cast<std::ptrdiff_t>(i)) {
            detail::fail(std::string(op) + ": class " + std::to_string(classes[i]) + " is listed twice");
        }
        if (std::find(y, y + n, classes[i]) == y + n) {
            detail::fail(std::string(op) + ": class " + std::to_string(classes[i]) + " has no row in the labels");
        }
    }
    std::vector<std::int64_t> rows;
    std::vector<std::int32_t> kept;
    for (std::int64_t r = 0; r < n; ++r) {
        const auto at = std::find(classes.begin(), classes.end(), y[r]);
        if ((at != classes.end()) != inside) continue;
        rows.push_back(r);
        kept.push_back(inside ? static_cast<std::int32_t>(at - classes.begin()) : y[r]);
    }
    const auto count = static_cast<std::int64_t>(rows.size());
    LabelledRows out{Tensor({count, d}), Tensor({count}, DType::I32)};
    for (std::int64_t i = 0; i < count; ++i) {
        std::copy_n(images.data<float>() + rows[i] * d, d, out.images.data<float>() + i * d);
        out.labels.data<std::int32_t>()[i] = kept[i];
    }
    return out;
}

}  // namespace ebmkit
