#include "langevin.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "ebmkit/philox.hpp"
#include "ebmkit/detail/langevin_rule.hpp"

namespace ebmkit::cpu {

namespace {

// E(x) (E(x, label) when label >= 0) and the drift gradient at x, clipped to grad_clip
// in L2 norm when > 0.
double energy_and_gradient(MlpRow& row, std::vector<double>& dlogits, const float* x, int label, float grad_clip,
                           std::vector<double>& grad) {
    row.forward(x);
    row.energy_dlogits(label, dlogits);
    row.backward(dlogits.data());
    grad = row.input_grad();
    if (grad_clip > 0) {
        double norm = 0;
        for (double g : grad) norm += g * g;
        norm = std::sqrt(norm);
        if (norm > grad_clip) {
            for (double& g : grad) g *= grad_clip / norm;
        }
    }
    return row.energy(label);
}

}  // namespace

LangevinStats langevin_chain(const MlpParams<const float>& p, float* x, const std::int32_t* labels, std::int64_t rows,
                             const LangevinParams& params, std::uint64_t seed, std::uint32_t first_step,
                             std::uint32_t num_steps, bool trace) {
    const std::int64_t d = p.widths.front();
    const PhiloxKey key = philox_key(seed);
    // Per step: accepted count and energy sum, reduced over rows (the energies summed in
    // row order after the loop, so the trace does not depend on the threads).
    std::vector<std::int64_t> accepted(num_steps, 0);
    std::vector<double> energy_sum(num_steps, 0.0);
    std::vector<double> row_energy(trace ? static_cast<std::size_t>(num_steps) * static_cast<std::size_t>(rows) : 0);
#pragma omp parallel
    {
        MlpRow row(p);
        std::vector<double> dlogits, grad, grad_new;
        std::vector<float> proposal(static_cast<std::size_t>(d));
        std::vector<std::int64_t> my_accepted(num_steps, 0);
#pragma omp for schedule(static)
        for (std::int64_t r = 0; r < rows; ++r) {
            float* xr = x + r * d;
            const auto chain = params.first_chain + static_cast<std::uint32_t>(r);
            const int label = labels ? labels[r] : -1;
            double e = energy_and_gradient(row, dlogits, xr, label, params.grad_clip, grad);
            for (std::uint32_t s = 0; s < num_steps; ++s) {
                const std::uint32_t step = first_step + s;
                bool outside = false;
                for (std::int64_t i0 = 0; i0 < d; i0 += 4) {
                    float eps[4];
                    normal4(philox4x32_10(philox_counter(RngPurpose::LangevinNoise, chain, step,
                                                         static_cast<std::uint32_t>(i0 / 4)),
                                          key),
                            eps);
                    for (std::int64_t i = i0; i < std::min(i0 + 4, d); ++i) {
                        const double v = kernels::langevin_proposal<double>(
                            xr[i], grad[i], params.alpha, params.sigma, eps[i - i0]);
                        proposal[i] = static_cast<float>(
                            params.clamp ? kernels::clamp_to_box<double>(v, params.lo, params.hi, outside) : v);
                    }
                }
                bool accept = true;
                double e_new = 0;
                if (params.mala) {
                    accept = !outside;
                    if (accept) {
                        e_new = energy_and_gradient(row, dlogits, proposal.data(), label, params.grad_clip, grad_new);
                        // log q(x | x') - log q(x' | x), from the stored float states.
                        double forward = 0, backward = 0;
                        for (std::int64_t i = 0; i < d; ++i) {
                            kernels::add_mala_terms<double>(xr[i], proposal[i], grad[i], grad_new[i], params.alpha,
                                                            forward, backward);
                        }
                        const double log_ratio = kernels::mala_log_ratio<double>(e, e_new, forward, backward, params.alpha,
                                                                                 params.sigma);
                        const float u = philox_uniform(seed, RngPurpose::MalaAccept, chain, step, 0);
                        accept = std::log(static_cast<double>(u)) <= log_ratio;
                    }
                }
                if (accept) {
                    std::copy(proposal.begin(), proposal.end(), xr);
                    if (params.mala) {
                        e = e_new;
                        grad.swap(grad_new);
                    } else if (s + 1 < num_steps || trace) {
                        e = energy_and_gradient(row, dlogits, xr, label, params.grad_clip, grad);
                    }
                    ++my_accepted[s];
                }
                if (trace) row_energy[static_cast<std::size_t>(s) * static_cast<std::size_t>(rows) + static_cast<std::size_t>(r)] = e;
            }
        }
#pragma omp critical
        for (std::uint32_t s = 0; s < num_steps; ++s) accepted[s] += my_accepted[s];
    }
    for (std::uint32_t s = 0; s < num_steps && trace; ++s) {
        for (std::int64_t r = 0; r < rows; ++r) {
            energy_sum[s] += row_energy[static_cast<std::size_t>(s) * static_cast<std::size_t>(rows) + static_cast<std::size_t>(r)];
        }
    }
    LangevinStats stats;
    stats.proposals = rows * static_cast<std::int64_t>(num_steps);
    for (std::uint32_t s = 0; s < num_steps; ++s) {
        stats.accepted += accepted[s];
        if (trace) {
            stats.mean_energy.push_back(energy_sum[s] / static_cast<double>(rows));
            stats.acceptance.push_back(static_cast<double>(accepted[s]) / static_cast<double>(rows));
        }
    }
    return stats;
}

}  // namespace ebmkit::cpu
