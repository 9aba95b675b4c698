#include "ebmkit/restoration.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "check.hpp"
#include "ebmkit/philox.hpp"

namespace ebmkit {

namespace {

void check_images(const char* op, const char* name, const Tensor& t, std::int64_t rows, std::int64_t d) {
    detail::check_tensor(op, name, t, {rows, d}, DType::F32, Device::Host);
}

}  // namespace

Tensor make_mask(MaskKind kind, std::int64_t rows, std::int64_t height, std::int64_t width, double rate,
                 std::uint64_t seed) {
    constexpr const char* op = "make_mask";
    if (rows < 1 || height < 1 || width < 1) detail::fail(std::string(op) + ": rows, height and width must be >= 1");
    if (kind == MaskKind::Random && !(rate >= 0.0 && rate <= 1.0)) {
        detail::fail(std::string(op) + ": rate must be in [0, 1], got " + std::to_string(rate));
    }
    const std::int64_t d = height * width;
    Tensor mask({rows, d});
    float* m = mask.data<float>();
    const PhiloxKey key = philox_key(seed);
    for (std::int64_t r = 0; r < rows; ++r) {
        for (std::int64_t i = 0; i < d; i += 4) {
            float u[4] = {1, 1, 1, 1};
            if (kind == MaskKind::Random) {
                uniform4(philox4x32_10(philox_counter(RngPurpose::InpaintMask, static_cast<std::uint32_t>(r), 0,
                                                      static_cast<std::uint32_t>(i / 4)),
                                       key),
                         u);
            }
            for (std::int64_t j = i; j < std::min(i + 4, d); ++j) {
                const std::int64_t y = j / width, x = j % width;
                bool missing = false;
                switch (kind) {
                    case MaskKind::Top: missing = y < height / 2; break;
                    case MaskKind::Left: missing = x < width / 2; break;
                    case MaskKind::Box:
                        missing = y >= height / 4 && y < height / 4 + height / 2 && x >= width / 4 && x < width / 4 + width / 2;
                        break;
                    case MaskKind::Random: missing = u[j - i] <= rate; break;
                }
                m[r * d + j] = missing ? 0.0f : 1.0f;
            }
        }
    }
    return mask;
}

RestorationError restoration_error(const Tensor& restored, const Tensor& truth, const Tensor& mask) {
    constexpr const char* op = "restoration_error";
    detail::check_tensor(op, "truth", truth, {detail::any_dim, detail::any_dim}, DType::F32, Device::Host);
    check_images(op, "restored", restored, truth.dim(0), truth.dim(1));
    check_images(op, "mask", mask, truth.dim(0), truth.dim(1));
    const float *p = restored.data<float>(), *t = truth.data<float>(), *m = mask.data<float>();
    RestorationError e;
    bool binary = true;
    for (std::int64_t i = 0; i < truth.numel(); ++i) {
        if (m[i] != 0.0f) continue;
        const double diff = static_cast<double>(p[i]) - t[i];
        e.mse += diff * diff;
        binary &= t[i] == 0.0f || t[i] == 1.0f;
        const double q = std::clamp(static_cast<double>(p[i]), 1e-6, 1.0 - 1e-6);
        e.cross_entropy -= t[i] * std::log(q) + (1.0 - t[i]) * std::log(1.0 - q);
        ++e.missing;
    }
    if (e.missing == 0) detail::fail(std::string(op) + ": the mask leaves no pixel missing");
    e.mse /= static_cast<double>(e.missing);
    e.cross_entropy = binary ? e.cross_entropy / static_cast<double>(e.missing) : std::nan("");
    return e;
}

Tensor mean_image_restoration(const Tensor& images, const Tensor& mask, const Tensor& training) {
    constexpr const char* op = "mean_image_restoration";
    detail::check_tensor(op, "images", images, {detail::any_dim, detail::any_dim}, DType::F32, Device::Host);
    const std::int64_t n = images.dim(0), d = images.dim(1);
    check_images(op, "mask", mask, n, d);
    detail::check_tensor(op, "training", training, {detail::any_dim, d}, DType::F32, Device::Host);
    std::vector<double> mean(static_cast<std::size_t>(d), 0.0);
    for (std::int64_t r = 0; r < training.dim(0); ++r) {
        for (std::int64_t i = 0; i < d; ++i) mean[i] += training.data<float>()[r * d + i];
    }
    Tensor out = images.clone();
    for (std::int64_t e = 0; e < n * d; ++e) {
        if (mask.data<float>()[e] == 0.0f) {
            out.data<float>()[e] = static_cast<float>(mean[e % d] / static_cast<double>(training.dim(0)));
        }
    }
    return out;
}

Tensor nearest_image_restoration(const Tensor& images, const Tensor& mask, const Tensor& training) {
    constexpr const char* op = "nearest_image_restoration";
    detail::check_tensor(op, "images", images, {detail::any_dim, detail::any_dim}, DType::F32, Device::Host);
    const std::int64_t n = images.dim(0), d = images.dim(1), m = training.dim(0);
    check_images(op, "mask", mask, n, d);
    detail::check_tensor(op, "training", training, {detail::any_dim, d}, DType::F32, Device::Host);
    Tensor out = images.clone();
    const float *x = images.data<float>(), *k = mask.data<float>(), *t = training.data<float>();
#pragma omp parallel for schedule(static)
    for (std::int64_t r = 0; r < n; ++r) {
        std::int64_t best = 0;
        double least = std::numeric_limits<double>::infinity();
        for (std::int64_t c = 0; c < m; ++c) {
            double dist = 0;
            for (std::int64_t i = 0; i < d && dist < least; ++i) {
                const double diff = static_cast<double>(x[r * d + i]) - t[c * d + i];
                dist += k[r * d + i] * diff * diff;
            }
            if (dist < least) least = dist, best = c;
        }
        for (std::int64_t i = 0; i < d; ++i) {
            if (k[r * d + i] == 0.0f) out.data<float>()[r * d + i] = t[best * d + i];
        }
    }
    return out;
}

double psnr(const Tensor& images, const Tensor& clean) {
    constexpr const char* op = "psnr";
    detail::check_tensor(op, "clean", clean, {detail::any_dim, detail::any_dim}, DType::F32, Device::Host);
    check_images(op, "images", images, clean.dim(0), clean.dim(1));
    double se = 0;
    for (std::int64_t i = 0; i < clean.numel(); ++i) {
        const double e = std::clamp(images.data<float>()[i], 0.0f, 1.0f) - std::clamp(clean.data<float>()[i], 0.0f, 1.0f);
        se += e * e;
    }
    return 10 * std::log10(static_cast<double>(clean.numel()) / se);
}

namespace {

// Each pixel from its 3 x 3 neighbourhood (edges clamped): the median, or the mean
// weighted by exp(-(dy^2 + dx^2) / 2).
Tensor filtered(const char* op, const Tensor& images, std::int64_t height, std::int64_t width, bool median) {
    detail::check_tensor(op, "images", images, {detail::any_dim, height * width}, DType::F32, Device::Host);
    Tensor out(images.shape(), DType::F32);
    const float* x = images.data<float>();
    float* y = out.data<float>();
    const double w1 = std::exp(-0.5), w2 = std::exp(-1.0);
    const std::int64_t d = height * width;
    for (std::int64_t base = 0; base < images.numel(); base += d) {
        for (std::int64_t i = 0; i < height; ++i) {
            for (std::int64_t j = 0; j < width; ++j) {
                float v[9];
                int k = 0;
                double sum = 0, weight = 0;
                for (int di = -1; di <= 1; ++di) {
                    for (int dj = -1; dj <= 1; ++dj) {
                        const std::int64_t a = std::clamp<std::int64_t>(i + di, 0, height - 1);
                        const std::int64_t b = std::clamp<std::int64_t>(j + dj, 0, width - 1);
                        v[k++] = x[base + a * width + b];
                        const double w = (di == 0 && dj == 0) ? 1.0 : (di == 0 || dj == 0) ? w1 : w2;
                        sum += w * v[k - 1];
                        weight += w;
                    }
                }
                std::nth_element(v, v + 4, v + 9);
                y[base + i * width + j] = median ? v[4] : static_cast<float>(sum / weight);
            }
        }
    }
    return out;
}

}  // namespace

Tensor median_filter_3x3(const Tensor& images, std::int64_t height, std::int64_t width) {
    return filtered("median_filter_3x3", images, height, width, true);
}

Tensor gaussian_filter_3x3(const Tensor& images, std::int64_t height, std::int64_t width) {
    return filtered("gaussian_filter_3x3", images, height, width, false);
}

}  // namespace ebmkit
