// CPU reference of kernels/sampler.cu: the same draws (kernels/sampler_rule.hpp), row
// by row.
#pragma once

#include <cstdint>

#include "kernels/sampler_rule.hpp"

namespace ebmkit::cpu {

void uniform_rows(float* out, std::int64_t rows, std::int64_t dim, float lo, float hi, std::uint64_t seed,
                  std::uint32_t first_chain, std::uint32_t step);

void replay_draw(const kernels::ReplayShape& s, const float* buffer, std::int64_t batch, float reinit,
                 std::uint32_t round, const std::int32_t* row_classes, float* out, std::int32_t* slots);

// Rows in order, so a later row going back to the same slot wins.
void replay_store(const kernels::ReplayShape& s, float* buffer, std::int64_t batch, std::uint32_t round,
                  const std::int32_t* slots, const std::int32_t* row_classes, const float* samples);

// Row r's class is global row first_row + r's.
void draw_classes(std::uint64_t seed, std::int64_t classes, std::uint32_t round, std::int64_t rows, std::int32_t* out,
                  std::uint32_t first_row = 0);

}  // namespace ebmkit::cpu
