// The CPU twin of the sample-step family (host/ops/sample_steps.hpp): every row by the
// rules of include/ebmkit/detail/sample_chain.hpp, rows across threads.
#pragma once

#include <cstdint>

#include "host/ops/sample_steps.hpp"

namespace ebmkit::cpu {

void sample_propose(const float* x, const float* grad, std::int64_t rows, int d, const detail::ChainRule& r,
                    std::uint32_t first_chain, std::uint32_t step, float* out);
void sample_momentum(float* p, std::int64_t rows, int d, const detail::ChainRule& r, std::uint32_t first_chain,
                     std::uint32_t step);
void sample_accept(const detail::StepAccept& a, const detail::ChainRule& r, std::uint32_t first_chain, std::uint32_t step);

}  // namespace ebmkit::cpu
