#include "sample_steps.hpp"

namespace ebmkit::cpu {

namespace {
std::uint32_t chain_of(std::uint32_t first_chain, std::int64_t row) { return first_chain + static_cast<std::uint32_t>(row); }
}  // namespace

void sample_propose(const float* x, const float* grad, std::int64_t rows, int d, const detail::ChainRule& r,
                    std::uint32_t first_chain, std::uint32_t step, float* out) {
#pragma omp parallel for schedule(static)
    for (std::int64_t row = 0; row < rows; ++row) {
        detail::propose_row(x + row * d, grad + row * d, d, r, chain_of(first_chain, row), step, out + row * d);
    }
}

void sample_momentum(float* p, std::int64_t rows, int d, const detail::ChainRule& r, std::uint32_t first_chain,
                     std::uint32_t step) {
#pragma omp parallel for schedule(static)
    for (std::int64_t row = 0; row < rows; ++row) detail::momentum_row(d, r, chain_of(first_chain, row), step, p + row * d);
}

void sample_accept(const detail::StepAccept& a, const detail::ChainRule& r, std::uint32_t first_chain, std::uint32_t step) {
#pragma omp parallel for schedule(static)
    for (std::int64_t row = 0; row < a.rows; ++row) detail::accept_row(a, row, r, chain_of(first_chain, row), step);
}

}  // namespace ebmkit::cpu
