#include "langevin.hpp"

#include <algorithm>
#include <vector>

#include "ebmkit/philox.hpp"

namespace ebmkit::cpu {

void langevin_chain(const MlpParams<const float>& p, float* x, std::int64_t rows, const LangevinParams& params,
                    std::uint64_t seed, std::uint32_t first_step, std::uint32_t num_steps) {
    const std::int64_t d = p.widths.front();
    const PhiloxKey key = philox_key(seed);
#pragma omp parallel
    {
        MlpRow row(p);
        std::vector<double> dlogits;
#pragma omp for schedule(static)
        for (std::int64_t r = 0; r < rows; ++r) {
            float* xr = x + r * d;
            const auto chain = static_cast<std::uint32_t>(r);
            for (std::uint32_t s = 0; s < num_steps; ++s) {
                const std::uint32_t step = first_step + s;
                row.forward(xr);
                row.energy_dlogits(-1, dlogits);
                row.backward(dlogits.data());
                const std::vector<double>& grad = row.input_grad();
                for (std::int64_t i0 = 0; i0 < d; i0 += 4) {
                    float eps[4];
                    normal4(philox4x32_10(philox_counter(RngPurpose::LangevinNoise, chain, step,
                                                         static_cast<std::uint32_t>(i0 / 4)),
                                          key),
                            eps);
                    for (std::int64_t i = i0; i < std::min(i0 + 4, d); ++i) {
                        double v = xr[i] - params.alpha * grad[i] + static_cast<double>(params.sigma) * eps[i - i0];
                        if (params.clamp) v = std::clamp(v, static_cast<double>(params.lo), static_cast<double>(params.hi));
                        xr[i] = static_cast<float>(v);
                    }
                }
            }
        }
    }
}

}  // namespace ebmkit::cpu
