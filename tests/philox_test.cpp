// Philox4x32-10 against Random123's published known-answer vectors, the float
// conversions against their closed forms, and the draws' statistics.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "ebmkit/philox.hpp"

namespace ebmkit {
namespace {

struct KnownAnswer {
    PhiloxCounter counter;
    PhiloxKey key;
    Philox4 expected;
};

TEST(Philox, MatchesRandom123KnownAnswerVectors) {
    const KnownAnswer cases[] = {
        {{{0, 0, 0, 0}}, {{0, 0}}, {{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}}},
        {{{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}},
         {{0xffffffff, 0xffffffff}},
         {{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}}},
        {{{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}},
         {{0xa4093822, 0x299f31d0}},
         {{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}}},
    };
    for (const KnownAnswer& c : cases) {
        const Philox4 got = philox4x32_10(c.counter, c.key);
        for (int i = 0; i < 4; ++i) EXPECT_EQ(got.v[i], c.expected.v[i]) << "word " << i;
    }
}

TEST(Philox, UniformIsInHalfOpenUnitIntervalWithCurandEndpoints) {
    EXPECT_EQ(uniform_from_bits(0u), std::ldexp(1.0f, -33));  // smallest: 2^-33, never 0
    EXPECT_EQ(uniform_from_bits(0xffffffffu), 1.0f);          // largest rounds to exactly 1
    EXPECT_EQ(uniform_from_bits(0x80000000u), 0.5f + std::ldexp(1.0f, -33));
}

TEST(Philox, DrawIsAPureFunctionOfItsKey) {
    const std::uint64_t seed = 0x0123456789abcdefull;
    const PhiloxKey key = philox_key(seed);
    EXPECT_EQ(key.k[0], 0x89abcdefu);
    EXPECT_EQ(key.k[1], 0x01234567u);
    for (std::uint32_t e = 0; e < 12; ++e) {
        const Philox4 block = philox4x32_10(philox_counter(RngPurpose::GibbsHidden, 7, 3, e / 4), key);
        EXPECT_EQ(philox_uniform(seed, RngPurpose::GibbsHidden, 7, 3, e), uniform_from_bits(block.v[e % 4]));
    }
    // Every coordinate of the key changes the draw.
    const float base = philox_uniform(seed, RngPurpose::GibbsHidden, 7, 3, 5);
    EXPECT_NE(base, philox_uniform(seed + 1, RngPurpose::GibbsHidden, 7, 3, 5));
    EXPECT_NE(base, philox_uniform(seed, RngPurpose::GibbsVisible, 7, 3, 5));
    EXPECT_NE(base, philox_uniform(seed, RngPurpose::GibbsHidden, 8, 3, 5));
    EXPECT_NE(base, philox_uniform(seed, RngPurpose::GibbsHidden, 7, 4, 5));
    EXPECT_NE(base, philox_uniform(seed, RngPurpose::GibbsHidden, 7, 3, 9));
}

TEST(Philox, NormalPairIsBoxMullerOfTwoUniforms) {
    const std::uint32_t x = 0x12345678u, y = 0x9abcdef0u;
    float a, b;
    normal_pair_from_bits(x, y, a, b);
    const double u = (static_cast<double>(x) + 0.5) / 4294967296.0;
    const double v = 2.0 * M_PI * (static_cast<double>(y) + 0.5) / 4294967296.0;
    const double r = std::sqrt(-2.0 * std::log(u));
    EXPECT_NEAR(a, r * std::sin(v), 1e-5);
    EXPECT_NEAR(b, r * std::cos(v), 1e-5);
}

// Statistics over 2^20 normals: mean 0, variance 1, and the fraction within one
// sigma against Phi(1) - Phi(-1); bounds are 6 standard errors.
TEST(PhiloxStatistics, NormalsHaveStandardMoments) {
    const int n = 1 << 20;
    double sum = 0, sum2 = 0, sum4 = 0;
    int within = 0;
    for (int i = 0; i < n; i += 4) {
        float z[4];
        normal4(philox4x32_10(philox_counter(RngPurpose::LangevinNoise, 0, 0, i / 4), philox_key(42)), z);
        for (float v : z) {
            sum += v;
            sum2 += double(v) * v;
            sum4 += double(v) * v * v * v;
            within += std::fabs(v) < 1.0f;
        }
    }
    EXPECT_NEAR(sum / n, 0.0, 6.0 / std::sqrt(n));
    EXPECT_NEAR(sum2 / n, 1.0, 6.0 * std::sqrt(2.0 / n));
    EXPECT_NEAR(sum4 / n, 3.0, 6.0 * std::sqrt(96.0 / n));
    const double p = std::erf(1.0 / std::sqrt(2.0));
    EXPECT_NEAR(double(within) / n, p, 6.0 * std::sqrt(p * (1 - p) / n));
}

// Chi-square of 2^20 uniforms in 256 equal bins; 99.9999% quantile of chi2(255) ~ 370.
TEST(PhiloxStatistics, UniformsPassChiSquare) {
    const int n = 1 << 20, bins = 256;
    std::vector<int> count(bins, 0);
    for (int i = 0; i < n; i += 4) {
        float u[4];
        uniform4(philox4x32_10(philox_counter(RngPurpose::GibbsVisible, 1, 2, i / 4), philox_key(7)), u);
        for (float v : u) {
            ASSERT_GT(v, 0.0f);
            ASSERT_LE(v, 1.0f);
            count[std::min(bins - 1, static_cast<int>(v * bins))]++;
        }
    }
    const double expected = double(n) / bins;
    double chi2 = 0;
    for (int c : count) chi2 += (c - expected) * (c - expected) / expected;
    EXPECT_LT(chi2, 370.0);
}

}  // namespace
}  // namespace ebmkit
