#include "sampler.hpp"

#include <algorithm>

namespace ebmkit::cpu {

void uniform_rows(float* out, std::int64_t rows, std::int64_t dim, float lo, float hi, std::uint64_t seed,
                  std::uint32_t first_chain, std::uint32_t step) {
    const PhiloxKey key = philox_key(seed);
    for (std::int64_t r = 0; r < rows; ++r) {
        for (std::int64_t q = 0; q < (dim + 3) / 4; ++q) {
            kernels::uniform_row_quad(out + r * dim, dim, q, lo, hi, key, first_chain + static_cast<std::uint32_t>(r),
                                      step);
        }
    }
}

void replay_draw(const kernels::ReplayShape& s, const float* buffer, std::int64_t batch, float reinit,
                 std::uint32_t round, const std::int32_t* row_classes, float* out, std::int32_t* slots) {
    for (std::int64_t b = 0; b < batch; ++b) {
        if (kernels::replay_fresh(s, reinit, round, b)) {
            slots[b] = -1;
            uniform_rows(out + b * s.dim, 1, s.dim, s.lo, s.hi, s.seed, s.first_row + static_cast<std::uint32_t>(b),
                         round + 1);
        } else {
            const std::int64_t slot = kernels::replay_slot(s, round, b, row_classes ? row_classes[b] : 0);
            slots[b] = static_cast<std::int32_t>(slot);
            std::copy_n(buffer + slot * s.dim, s.dim, out + b * s.dim);
        }
    }
}

void replay_store(const kernels::ReplayShape& s, float* buffer, std::int64_t batch, std::uint32_t round,
                  const std::int32_t* slots, const std::int32_t* row_classes, const float* samples) {
    for (std::int64_t b = 0; b < batch; ++b) {
        const std::int64_t slot =
            slots[b] >= 0 ? slots[b] : kernels::replay_slot(s, round, b, row_classes ? row_classes[b] : 0);
        std::copy_n(samples + b * s.dim, s.dim, buffer + slot * s.dim);
    }
}

void draw_classes(std::uint64_t seed, std::int64_t classes, std::uint32_t round, std::int64_t rows, std::int32_t* out,
                  std::uint32_t first_row) {
    for (std::int64_t r = 0; r < rows; ++r) {
        out[r] = kernels::drawn_class(seed, classes, round, first_row + static_cast<std::uint32_t>(r));
    }
}

}  // namespace ebmkit::cpu
