// The bodies of the sample-step kernels (kernels/sample_steps.cu): a thread per row, each
// row by include/ebmkit/detail/sample_chain.hpp's rules, grid-stride. In a header so that
// tests/sample_emulated_test.cpp runs them on the host.
#pragma once

#include <cstdint>

#include "ebmkit/detail/sample_chain.hpp"
#include "host/ops/sample_steps.hpp"
#include "kernels/grid_stride.cuh"

namespace ebmkit::kernels::sample_steps_body {

__device__ inline void momentum(float* p, std::int64_t rows, int d, const detail::ChainRule& r, std::uint32_t first_chain,
                                std::uint32_t step) {
    for (std::int64_t row = first_item(); row < rows; row += item_stride()) {
        detail::momentum_row(d, r, first_chain + static_cast<std::uint32_t>(row), step, p + row * d);
    }
}

__device__ inline void accept(const detail::StepAccept& a, const detail::ChainRule& r, std::uint32_t first_chain,
                              std::uint32_t step) {
    for (std::int64_t row = first_item(); row < a.rows; row += item_stride()) {
        detail::accept_row(a, row, r, first_chain + static_cast<std::uint32_t>(row), step);
    }
}

}  // namespace ebmkit::kernels::sample_steps_body
