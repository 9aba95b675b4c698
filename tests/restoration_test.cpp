// Inpainting's masks, metrics and baselines (ebmkit/restoration.hpp): each mask's
// defining property, the metrics by hand, the baselines on cases whose answer is known.
#include <gtest/gtest.h>

#include <cmath>

#include "support.hpp"

namespace ebmkit {
namespace {

TEST(Restoration, EachMaskHidesItsRegion) {
    const std::int64_t h = 6, w = 8, d = h * w;
    for (const MaskKind kind : {MaskKind::Top, MaskKind::Left, MaskKind::Box}) {
        const Tensor m = make_mask(kind, 3, h, w, 0, 0);
        for (std::int64_t r = 0; r < 3; ++r) {
            for (std::int64_t i = 0; i < d; ++i) {
                const std::int64_t y = i / w, x = i % w;
                const bool missing = kind == MaskKind::Top ? y < 3 : kind == MaskKind::Left ? x < 4
                                                                  : (y >= 1 && y < 4 && x >= 2 && x < 6);
                ASSERT_EQ(m.data<float>()[r * d + i], missing ? 0.0f : 1.0f) << to_string(kind) << " " << i;
            }
        }
    }
    // random: the rate within five standard errors, keyed by the seed, different per image.
    auto rng = test::fresh_rng();
    const std::uint64_t seed = rng();
    const Tensor a = make_mask(MaskKind::Random, 200, h, w, 0.3, seed), b = make_mask(MaskKind::Random, 200, h, w, 0.3, seed);
    EXPECT_EQ(a.to_vector<float>(), b.to_vector<float>());
    double missing = 0;
    for (float v : a.to_vector<float>()) missing += v == 0.0f;
    const double n = 200.0 * d;
    EXPECT_NEAR(missing / n, 0.3, 5 * std::sqrt(0.3 * 0.7 / n));
    EXPECT_NE(std::vector<float>(a.data<float>(), a.data<float>() + d),
              std::vector<float>(a.data<float>() + d, a.data<float>() + 2 * d));
    EXPECT_THROW(make_mask(MaskKind::Random, 2, h, w, 1.5, 0), Error);
}

TEST(Restoration, MetricsAndBaselinesByHand) {
    // Two images of four pixels; pixels 1 and 3 missing in the first, 0 in the second.
    const Tensor truth = Tensor::from({1, 0, 1, 1, 0, 1, 1, 0}, {2, 4});
    const Tensor mask = Tensor::from({1, 0, 1, 0, 0, 1, 1, 1}, {2, 4});
    const Tensor restored = Tensor::from({1, 0.2f, 1, 0.5f, 0.9f, 1, 1, 0}, {2, 4});
    const RestorationError e = restoration_error(restored, truth, mask);
    EXPECT_EQ(e.missing, 3);
    EXPECT_NEAR(e.mse, (0.04 + 0.25 + 0.81) / 3, 1e-6);
    EXPECT_NEAR(e.cross_entropy, -(std::log(0.8) + std::log(0.5) + std::log(0.1)) / 3, 1e-6);
    // The mean of two training images; the nearest on the observed pixels.
    const Tensor training = Tensor::from({0, 1, 0, 1, 1, 0, 1, 0}, {2, 4});
    const std::vector<float> mean = mean_image_restoration(truth, mask, training).to_vector<float>();
    EXPECT_EQ(mean, (std::vector<float>{1, 0.5f, 1, 0.5f, 0.5f, 1, 1, 0}));
    // Image 0's observed pixels (0, 2) = (1, 1) match training row 1; image 1's (1, 2, 3) =
    // (1, 1, 0) are nearer row 0 (0, 0, 1)? Row 0 differs in 3 places, row 1 in 1: row 1.
    const std::vector<float> near = nearest_image_restoration(truth, mask, training).to_vector<float>();
    EXPECT_EQ(near, (std::vector<float>{1, 0, 1, 0, 1, 1, 1, 0}));
    EXPECT_THROW(restoration_error(restored, truth, Tensor::from({1, 1, 1, 1, 1, 1, 1, 1}, {2, 4})), Error);
}

}  // namespace
}  // namespace ebmkit

namespace ebmkit {
namespace {

// PSNR by hand; the 3 x 3 median removes a lone outlier and keeps a constant image; the
// Gaussian filter keeps a constant and spreads an impulse with the weights 1, e^-1/2, e^-1.
TEST(Restoration, PsnrAndTheClassicFilters) {
    const Tensor clean = Tensor::from({0, 0.5f, 1, 1}, {1, 4}), noisy = Tensor::from({0.1f, 0.5f, 1.2f, 0.9f}, {1, 4});
    EXPECT_NEAR(psnr(noisy, clean), 10 * std::log10(4 / (0.01 + 0 + 0 + 0.01)), 1e-4);  // 1.2 clipped to 1
    Tensor image = Tensor::from(std::vector<float>(25, 0.3f), {1, 25});
    EXPECT_EQ(median_filter_3x3(image, 5, 5).to_vector<float>(), image.to_vector<float>());
    for (float v : gaussian_filter_3x3(image, 5, 5).to_vector<float>()) EXPECT_NEAR(v, 0.3f, 1e-6);
    image.data<float>()[12] = 1.0f;  // the centre
    EXPECT_EQ(median_filter_3x3(image, 5, 5).to_vector<float>(), std::vector<float>(25, 0.3f));
    const std::vector<float> g = gaussian_filter_3x3(image, 5, 5).to_vector<float>();
    const double total = 1 + 4 * std::exp(-0.5) + 4 * std::exp(-1.0);
    EXPECT_NEAR(g[12], 0.3 + 0.7 / total, 1e-6);
    EXPECT_NEAR(g[7], 0.3 + 0.7 * std::exp(-0.5) / total, 1e-6);
    EXPECT_NEAR(g[6], 0.3 + 0.7 * std::exp(-1.0) / total, 1e-6);
}

}  // namespace
}  // namespace ebmkit
