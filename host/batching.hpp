// Mini-batching shared by the trainers: a seeded shuffle and a row gather.
#pragma once

#include <cstdint>
#include <vector>

#include "ebmkit/tensor.hpp"

namespace ebmkit::detail {

// A permutation of 0 .. n-1 by Fisher-Yates on Philox uniforms keyed
// (seed, Shuffle, chain, step, element = i).
std::vector<std::int64_t> shuffled_order(std::int64_t n, std::uint64_t seed, std::uint32_t chain, std::uint32_t step);

// Rows rows[0 .. count) of a host tensor of rank 1 or 2 (any dtype), gathered on the
// host and placed on device.
Tensor gather_rows(const Tensor& data, const std::int64_t* rows, std::int64_t count, Device device);

}  // namespace ebmkit::detail
