// ebmkit's Philox and conversions against cuRAND's own device code, compiled for
// the host: the CUDA headers write curand_Philox4x32_10, _curand_uniform and
// _curand_box_muller with host branches, so the comparison needs no GPU.
#define QUALIFIERS static inline
#include <cuda_runtime.h>
#include <curand_kernel.h>
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "ebmkit/philox.hpp"
#include "support.hpp"

namespace ebmkit {
namespace {

TEST(PhiloxCurand, BitsMatchCurandPhilox4x32_10) {
    auto rng = test::fresh_rng();
    for (int i = 0; i < 100000; ++i) {
        const PhiloxCounter c{{std::uint32_t(rng()), std::uint32_t(rng()), std::uint32_t(rng()), std::uint32_t(rng())}};
        const PhiloxKey k{{std::uint32_t(rng()), std::uint32_t(rng())}};
        const uint4 expected = curand_Philox4x32_10(make_uint4(c.c[0], c.c[1], c.c[2], c.c[3]), make_uint2(k.k[0], k.k[1]));
        const Philox4 got = philox4x32_10(c, k);
        ASSERT_EQ(got.v[0], expected.x);
        ASSERT_EQ(got.v[1], expected.y);
        ASSERT_EQ(got.v[2], expected.z);
        ASSERT_EQ(got.v[3], expected.w);
    }
}

TEST(PhiloxCurand, UniformsAndNormalsMatchCurandBitForBit) {
    auto rng = test::fresh_rng();
    for (int i = 0; i < 100000; ++i) {
        const std::uint32_t x = std::uint32_t(rng()), y = std::uint32_t(rng());
        const float u = uniform_from_bits(x), expected_u = _curand_uniform(x);
        ASSERT_EQ(std::memcmp(&u, &expected_u, sizeof u), 0) << x;
        float a, b;
        normal_pair_from_bits(x, y, a, b);
        const float2 expected = _curand_box_muller(x, y);
        ASSERT_EQ(std::memcmp(&a, &expected.x, sizeof a), 0) << x << ' ' << y;
        ASSERT_EQ(std::memcmp(&b, &expected.y, sizeof b), 0) << x << ' ' << y;
    }
    // The extremes of the range.
    EXPECT_EQ(uniform_from_bits(0u), _curand_uniform(0u));
    EXPECT_EQ(uniform_from_bits(0xffffffffu), _curand_uniform(0xffffffffu));
}

// A cuRAND state initialised with (seed, subsequence, offset = 4 * block) produces
// the same four values as ebmkit's counter (block, subsequence low, subsequence high, 0):
// the keying is the one cuRAND users already know.
TEST(PhiloxCurand, KeyingMatchesCurandInitSubsequenceAndOffset) {
    auto rng = test::fresh_rng();
    for (int i = 0; i < 1000; ++i) {
        const std::uint64_t seed = rng();
        const std::uint32_t step = std::uint32_t(rng()) & 0x3fffffff, chain = std::uint32_t(rng());
        const std::uint32_t block = std::uint32_t(rng()) & 0xffffff;
        curandStatePhilox4_32_10_t state;
        // subsequence occupies counter words 2 and 3; words 0-1 hold offset / 4.
        curand_init(seed, (std::uint64_t(std::uint32_t(RngPurpose::GibbsHidden)) << 32) | chain,
                    (std::uint64_t(step) << 32 | block) * 4, &state);
        const float4 expected = curand_uniform4(&state);
        float got[4];
        uniform4(philox4x32_10(philox_counter(RngPurpose::GibbsHidden, chain, step, block), philox_key(seed)), got);
        ASSERT_EQ(got[0], expected.x);
        ASSERT_EQ(got[1], expected.y);
        ASSERT_EQ(got[2], expected.z);
        ASSERT_EQ(got[3], expected.w);
    }
}

}  // namespace
}  // namespace ebmkit
