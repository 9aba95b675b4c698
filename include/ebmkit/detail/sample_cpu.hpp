// The CPU backend of the samplers for any energy (ebmkit/sample.hpp): each chain in turn,
// its steps by detail/sample_chain.hpp. Included by sample.hpp; arguments already checked.
#pragma once

#include <algorithm>
#include <vector>

#include "ebmkit/detail/sample_chain.hpp"

namespace ebmkit::detail {

template <class E>
SampleStats sample_cpu(Context& ctx, const E& energy, TensorView x, const SampleParams& p, Steps steps, bool trace) {
    const int d = energy.dim();
    const std::int64_t rows = x.dim(0);
    const ChainRule rule = chain_rule(ctx, p, p.mass.empty() ? nullptr : p.mass.data());
    const auto traced = static_cast<std::size_t>(trace ? steps.count : 0);
    std::vector<float> states(traced * static_cast<std::size_t>(rows * d)), energies(traced * static_cast<std::size_t>(rows));
    const std::int64_t per_chain = chain_scratch_floats(energy);
    std::vector<float> scratch(static_cast<std::size_t>(rows * per_chain));
    std::int64_t accepted = 0;
    // The chains are independent: threads where the caller's build has OpenMP (the
    // library's instantiations for the shipped energies do), the same bits either way.
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) reduction(+ : accepted)
#endif
    for (std::int64_t r = 0; r < rows; ++r) {
        float* chain = x.data<float>() + r * d;
        float* own = scratch.data() + r * per_chain;
        float e = evaluate_energy(energy, chain, own, own + 4 * d);
        for (std::uint32_t s = 0; s < steps.count; ++s) {
            accepted += chain_step(energy, chain, e, own, rule, p.first_chain + static_cast<std::uint32_t>(r),
                                   steps.first + s);
            if (trace) {
                std::copy(chain, chain + d, states.begin() + (static_cast<std::int64_t>(s) * rows + r) * d);
                energies[static_cast<std::size_t>(s) * rows + r] = e;
            }
        }
    }
    return sample_stats(rows, d, steps.count, accepted, std::move(states), energies);
}

}  // namespace ebmkit::detail
