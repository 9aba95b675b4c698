/// @file
/// Counter-based randomness (docs/ARCHITECTURE.md §6).
///
/// Philox4x32-10 (Salmon et al., SC'11) exactly as cuRAND's curand_Philox4x32_10
/// computes it, and the uint32 -> float conversions exactly as cuRAND's
/// curand_uniform4 / curand_normal4 do:
///   uniform u = x * 2^-32 + 2^-33, in (0, 1];
///   normal pair from (x, y): u = uniform(x), v = y * 2pi*2^-32 + pi*2^-32,
///   (sin v, cos v) * sqrt(-2 log u).
///
/// A draw is a pure function of (seed, purpose, chain, step, element):
///   key     = (seed low 32 bits, seed high 32 bits)
///   counter = (element / 4, step, chain, purpose)
/// and element % 4 picks the lane of the 128-bit block. So draws do not depend on
/// thread or block layout, and the CPU reference and the GPU kernels (which call
/// cuRAND's curand_Philox4x32_10 with the same counter and key) agree bit for bit.
///
/// Host and device code share this header; nvcc sees __host__ __device__.
#pragma once

#include <math.h>
#include <cstdint>

#include "ebmkit/detail/host_device.hpp"
#include "ebmkit/detail/rng_purpose.hpp"

namespace ebmkit {


/// Philox4x32-10's output: four 32-bit words.
struct Philox4 {
    std::uint32_t v[4];  ///< the words
};

/// Philox's 128-bit counter: (element / 4, step, chain, purpose).
struct PhiloxCounter {
    std::uint32_t c[4];  ///< the words, low first
};

/// Philox's 64-bit key: the seed.
struct PhiloxKey {
    std::uint32_t k[2];  ///< the seed's low and high words
};

/// The key of a seed.
EBMKIT_HOST_DEVICE PhiloxKey philox_key(std::uint64_t seed) {
    return {{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}};
}

/// The counter of a draw: block is the element index / 4 (each call gives four values).
EBMKIT_HOST_DEVICE PhiloxCounter philox_counter(RngPurpose purpose, std::uint32_t chain,
                                                std::uint32_t step, std::uint32_t block) {
    return {{block, step, chain, static_cast<std::uint32_t>(purpose)}};
}

namespace detail {
constexpr std::uint32_t philox_m0 = 0xD2511F53u;
constexpr std::uint32_t philox_m1 = 0xCD9E8D57u;
constexpr std::uint32_t philox_w0 = 0x9E3779B9u;
constexpr std::uint32_t philox_w1 = 0xBB67AE85u;

EBMKIT_HOST_DEVICE void philox_round(std::uint32_t c[4], const std::uint32_t k[2]) {
    const std::uint64_t p0 = static_cast<std::uint64_t>(philox_m0) * c[0];
    const std::uint64_t p1 = static_cast<std::uint64_t>(philox_m1) * c[2];
    const std::uint32_t hi0 = static_cast<std::uint32_t>(p0 >> 32), lo0 = static_cast<std::uint32_t>(p0);
    const std::uint32_t hi1 = static_cast<std::uint32_t>(p1 >> 32), lo1 = static_cast<std::uint32_t>(p1);
    const std::uint32_t r0 = hi1 ^ c[1] ^ k[0];
    const std::uint32_t r2 = hi0 ^ c[3] ^ k[1];
    c[0] = r0;
    c[1] = lo1;
    c[2] = r2;
    c[3] = lo0;
}
}  // namespace detail

/// Philox4x32 with 10 rounds.
EBMKIT_HOST_DEVICE Philox4 philox4x32_10(PhiloxCounter counter, PhiloxKey key) {
    std::uint32_t c[4] = {counter.c[0], counter.c[1], counter.c[2], counter.c[3]};
    std::uint32_t k[2] = {key.k[0], key.k[1]};
    for (int round = 0; round < 10; ++round) {
        if (round > 0) {
            k[0] += detail::philox_w0;
            k[1] += detail::philox_w1;
        }
        detail::philox_round(c, k);
    }
    return {{c[0], c[1], c[2], c[3]}};
}

/// cuRAND's float uniform in (0, 1]. 2^-32 is exact in float, so an FMA and a
/// separate multiply-add round identically.
EBMKIT_HOST_DEVICE float uniform_from_bits(std::uint32_t x) {
    constexpr float two_pow_m32 = 2.3283064e-10f;
    return static_cast<float>(x) * two_pow_m32 + two_pow_m32 / 2.0f;
}

/// cuRAND's Box-Muller: the pair (sin v, cos v) * sqrt(-2 log u). On the device
/// cuRAND uses __sincosf; so do we, hence "normals to a few ulps" across devices.
EBMKIT_HOST_DEVICE void normal_pair_from_bits(std::uint32_t x, std::uint32_t y, float& first,
                                              float& second) {
    constexpr float two_pow_m32 = 2.3283064e-10f;
    constexpr float two_pi_two_pow_m32 = 2.3283064e-10f * 6.2831855f;
    const float u = static_cast<float>(x) * two_pow_m32 + two_pow_m32 / 2.0f;
    const float v = static_cast<float>(y) * two_pi_two_pow_m32 + two_pi_two_pow_m32 / 2.0f;
    const float s = sqrtf(-2.0f * logf(u));
#if defined(__CUDA_ARCH__)
    __sincosf(v, &first, &second);
#else
    first = sinf(v);
    second = cosf(v);
#endif
    first *= s;
    second *= s;
}

/// The four uniforms of one counter block: elements 4*block .. 4*block+3.
EBMKIT_HOST_DEVICE void uniform4(const Philox4& bits, float out[4]) {
    for (int i = 0; i < 4; ++i) out[i] = uniform_from_bits(bits.v[i]);
}

/// The four normals of one counter block, in curand_normal4's order.
EBMKIT_HOST_DEVICE void normal4(const Philox4& bits, float out[4]) {
    normal_pair_from_bits(bits.v[0], bits.v[1], out[0], out[1]);
    normal_pair_from_bits(bits.v[2], bits.v[3], out[2], out[3]);
}

/// One element's draw; convenient for reference code, wasteful in hot loops
/// (three of the four values are thrown away).
EBMKIT_HOST_DEVICE float philox_uniform(std::uint64_t seed, RngPurpose purpose, std::uint32_t chain,
                                        std::uint32_t step, std::uint32_t element) {
    const Philox4 bits = philox4x32_10(philox_counter(purpose, chain, step, element / 4), philox_key(seed));
    return uniform_from_bits(bits.v[element % 4]);
}

/// One element's standard normal draw (cuRAND's Box-Muller pairs); as wasteful.
EBMKIT_HOST_DEVICE float philox_normal(std::uint64_t seed, RngPurpose purpose, std::uint32_t chain,
                                       std::uint32_t step, std::uint32_t element) {
    const Philox4 bits = philox4x32_10(philox_counter(purpose, chain, step, element / 4), philox_key(seed));
    float n[4];
    normal4(bits, n);
    return n[element % 4];
}

}  // namespace ebmkit
