// A 2-D MLP energy whose density is normalised on a grid, for statistical tests of
// the samplers on either backend.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "support.hpp"

namespace ebmkit::test {

// E(x) = sum_j a_j softplus(s d_j . x + c_j), 16 directions d_j around the circle, a_j > 0:
// a skewed, non-Gaussian density that decays like exp(-|x|). Normalised on a 400 x 400
// grid over [-6, 6]^2; MALA and small-step Langevin histograms on 20 x 20 bins of
// [-3, 3]^2 (plus the outside) against it, by total variation.
class TwoDimensionalEnergy : public ::testing::Test {
protected:
    void SetUp() override {
        auto rng = fresh_rng();
        seed_ = rng();
        model_ = std::make_unique<MlpEnergy>(std::vector<std::int64_t>{2, 16, 1}, Activation::softplus());
        std::vector<float> w, b, a;
        std::uniform_real_distribution<float> u(0.0f, 1.0f);
        for (int j = 0; j < 16; ++j) {
            const double t = 2 * M_PI * j / 16;
            w.push_back(static_cast<float>(2 * std::cos(t)));
            w.push_back(static_cast<float>(2 * std::sin(t)));
            b.push_back(2 * u(rng) - 1);
            a.push_back(-(0.1f + 0.4f * u(rng)));  // E = -f: negative output weights give E = sum |a| softplus
        }
        model_->weight(0).copy_from(Tensor::from(w, {16, 2}));
        model_->bias(0).copy_from(Tensor::from(b, {16}));
        model_->weight(1).copy_from(Tensor::from(a, {1, 16}));
        // Exact bin probabilities.
        Context ctx(Backend::Cpu);
        const int g = 400;
        const double lo = -6, step = 12.0 / g;
        Tensor pts({g * g, 2});
        for (int i = 0; i < g; ++i) {
            for (int j = 0; j < g; ++j) {
                pts.data<float>()[(i * g + j) * 2] = static_cast<float>(lo + (i + 0.5) * step);
                pts.data<float>()[(i * g + j) * 2 + 1] = static_cast<float>(lo + (j + 0.5) * step);
            }
        }
        grid_energy_ = Tensor({g * g});
        energy(ctx, *model_, pts, grid_energy_);
        grid_ = std::move(pts);
        exact_ = exact(1.0);
    }

    // The bin probabilities of exp(-E / temperature), normalised on the grid.
    std::vector<double> exact(double temperature) const {
        std::vector<double> p(bins * bins + 1, 0.0);
        double z = 0;
        for (std::int64_t k = 0; k < grid_energy_.numel(); ++k) {
            const double w = std::exp(-static_cast<double>(grid_energy_.data<float>()[k]) / temperature);
            z += w;
            p[bin(grid_.data<float>()[2 * k], grid_.data<float>()[2 * k + 1])] += w;
        }
        for (double& v : p) v /= z;
        return p;
    }

    static constexpr int bins = 20;
    static int bin(double x, double y) {
        if (std::abs(x) >= 3 || std::abs(y) >= 3) return bins * bins;
        return static_cast<int>((x + 3) / 6 * bins) * bins + static_cast<int>((y + 3) / 6 * bins);
    }

    // Chains on the given backend, from the origin; TV of their histogram to `target`
    // (the grid's exp(-E) when empty).
    double total_variation(Backend backend, const LangevinParams& p, std::uint32_t burn_in, std::uint32_t record,
                           const std::vector<double>& target = {}) {
        const std::vector<double>& want = target.empty() ? exact_ : target;
        Context ctx(backend, seed_, Precision::Fp32);
        const MlpEnergy model = model_->to(ctx.device());
        const std::int64_t chains = 4096;
        Tensor x = filled({chains, 2}, 0.0f, ctx.device());
        langevin_chain(ctx, model, x, p, Steps{0, burn_in});
        std::vector<double> count(bins * bins + 1, 0.0);
        for (std::uint32_t s = 0; s < record; ++s) {
            langevin_chain(ctx, model, x, p, Steps{burn_in + s * 5, 5});  // thin by 5
            const std::vector<float> h = x.to_vector<float>();
            for (std::int64_t c = 0; c < chains; ++c) count[bin(h[2 * c], h[2 * c + 1])] += 1.0 / (chains * record);
        }
        double tv = 0;
        for (std::size_t k = 0; k < count.size(); ++k) tv += std::abs(count[k] - want[k]) / 2;
        return tv;
    }

    std::uint64_t seed_ = 0;
    std::unique_ptr<MlpEnergy> model_;
    Tensor grid_, grid_energy_;  // the grid's points [g * g, 2] and energies
    std::vector<double> exact_;
};

}  // namespace ebmkit::test
