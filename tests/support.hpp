// Shared test helpers: fresh random inputs (seed printed, EBMKIT_TEST_SEED to
// replay), relative errors where NaN never passes, poisoned outputs.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "ebmkit/ebmkit.hpp"

namespace ebmkit::test {

// A generator seeded freshly per test (or from EBMKIT_TEST_SEED), its seed recorded
// in the test's output so a failure can be replayed.
inline std::mt19937_64 fresh_rng() {
    std::uint64_t seed;
    if (const char* fixed = std::getenv("EBMKIT_TEST_SEED")) seed = std::strtoull(fixed, nullptr, 10);
    else seed = (static_cast<std::uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
    ::testing::Test::RecordProperty("seed", std::to_string(seed));
    std::printf("[ seed     ] EBMKIT_TEST_SEED=%llu\n", static_cast<unsigned long long>(seed));
    return std::mt19937_64(seed);
}

inline std::vector<float> uniform_values(std::mt19937_64& rng, std::size_t n, float lo, float hi) {
    std::uniform_real_distribution<float> dist(lo, hi);
    std::vector<float> v(n);
    for (float& x : v) x = dist(rng);
    return v;
}

inline Tensor uniform_tensor(std::mt19937_64& rng, Shape shape, float lo, float hi) {
    return Tensor::from(uniform_values(rng, static_cast<std::size_t>(shape.numel()), lo, hi), shape);
}

inline Tensor filled(Shape shape, float value, Device device = Device::Host) {
    return Tensor::from(std::vector<float>(static_cast<std::size_t>(shape.numel()), value), shape).to(device);
}

// Bit-for-bit equality, NaN payloads included (poisoned values compare equal to themselves).
inline bool same_bytes(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

inline Tensor poisoned(Shape shape, Device device = Device::Host) {
    return filled(shape, std::numeric_limits<float>::quiet_NaN(), device);
}

// ||a - b|| / ||b||, +inf when either holds a NaN (or their sizes differ).
template <typename A, typename B>
double relative_error(const std::vector<A>& a, const std::vector<B>& b) {
    if (a.size() != b.size()) return std::numeric_limits<double>::infinity();
    double num = 0.0, den = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double x = a[i], y = b[i];
        if (std::isnan(x) || std::isnan(y)) return std::numeric_limits<double>::infinity();
        num += (x - y) * (x - y);
        den += y * y;
    }
    return den == 0.0 ? std::sqrt(num) : std::sqrt(num / den);
}

// A random model with parameters drawn from rng (not from the library's own init).
inline MlpEnergy random_mlp(std::mt19937_64& rng, std::vector<std::int64_t> widths, Activation act,
                            float scale = 1.0f) {
    MlpEnergy model(widths, act);
    for (int l = 0; l < model.num_layers(); ++l) {
        const float bound = scale / std::sqrt(static_cast<float>(widths[l]));
        model.weight(l).copy_from(uniform_tensor(rng, model.weight(l).shape(), -bound, bound));
        model.bias(l).copy_from(uniform_tensor(rng, model.bias(l).shape(), -bound, bound));
    }
    return model;
}

// A host RBM with every parameter ~ U(-scale, scale).
inline Rbm random_rbm(std::mt19937_64& rng, std::int64_t d, std::int64_t m, float scale) {
    Rbm rbm(d, m);
    rbm.w().copy_from(uniform_tensor(rng, {d, m}, -scale, scale));
    rbm.b().copy_from(uniform_tensor(rng, {d}, -scale, scale));
    rbm.c().copy_from(uniform_tensor(rng, {m}, -scale, scale));
    return rbm;
}

// [n, d] of independent Bernoulli(p) bits.
inline Tensor random_bits(std::mt19937_64& rng, std::int64_t n, std::int64_t d, float p = 0.5f) {
    std::bernoulli_distribution bit(p);
    std::vector<float> v(static_cast<std::size_t>(n * d));
    for (float& x : v) x = bit(rng) ? 1.0f : 0.0f;
    return Tensor::from(v, {n, d});
}

}  // namespace ebmkit::test
