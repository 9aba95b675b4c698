// The score family's keyed draws (host/ops/score.hpp states their keys), written once
// for the CPU twin (host/cpu/score.cpp) and the kernels (kernels/score.cu).
#pragma once

#include <cstdint>

#include "ebmkit/detail/host_device.hpp"
#include "ebmkit/philox.hpp"

namespace ebmkit::kernels {

// Row `chain`'s noise level of step `step`: uniform over the ladder's `levels` levels.
EBMKIT_HOST_DEVICE int score_level(const PhiloxKey& key, int levels, std::uint32_t chain, std::uint32_t step) {
    float u[4];
    uniform4(philox4x32_10(philox_counter(RngPurpose::ScoreLevel, chain, step, 0), key), u);
    // u in (0, 1]: level floor(u L), the top clamped.
    const int level = static_cast<int>(u[0] * static_cast<float>(levels));
    return level < levels ? level : levels - 1;
}

// Values i = 4 block .. 4 block + 3 of row `chain`'s normal noise.
EBMKIT_HOST_DEVICE void score_noise4(const PhiloxKey& key, std::uint32_t chain, std::uint32_t step, std::uint32_t block,
                                     float out[4]) {
    normal4(philox4x32_10(philox_counter(RngPurpose::ScoreNoise, chain, step, block), key), out);
}

// Values i = 4 block .. of row `chain`'s projection: standard normals, or signs.
EBMKIT_HOST_DEVICE void score_projection4(const PhiloxKey& key, bool gaussian, std::uint32_t chain, std::uint32_t step,
                                          std::uint32_t block, float out[4]) {
    const Philox4 bits = philox4x32_10(philox_counter(RngPurpose::ScoreProjection, chain, step, block), key);
    if (gaussian) {
        normal4(bits, out);
        return;
    }
    uniform4(bits, out);
    for (int j = 0; j < 4; ++j) out[j] = out[j] > 0.5f ? 1.0f : -1.0f;
}

}  // namespace ebmkit::kernels
