// Two-dimensional densities known in closed form, for training and scoring score-based
// models (ebm score): samples, and the exact log density the samples are scored by.
//   ring8:        8 Gaussians (sd 0.2) at radius 2, equal weights;
//   two-rings:    radius r ~ N(R, 0.1^2) for R = 1 or 2.5 (equal weights), angle uniform:
//                 p(x) = 1/2 sum_R N(|x|; R, 0.1^2) / (2 pi |x|) (the mass at r < 0 neglected);
//   checkerboard: uniform on the 8 dark unit squares of [-2, 2]^2, blurred by N(0, 0.05^2 I):
//                 p(x) = 1/8 sum_squares prod_d [Phi((x_d - a_d) / s) - Phi((x_d - a_d - 1) / s)].
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ebmkit/tensor.hpp"

namespace ebm {

enum class Toy { Ring8, TwoRings, Checkerboard };

const std::vector<std::string>& toy_names();
std::optional<Toy> toy_named(const std::string& name);
const char* toy_name(Toy toy);

// n points [n, 2] drawn with seed.
ebmkit::Tensor draw_toy(Toy toy, std::int64_t n, std::uint64_t seed);
double toy_log_density(Toy toy, double x, double y);

// How samples [n, 2] compare with the toy's density: their mean log density (each
// floored at log_density_floor, so that a few strays far from the support, where the
// checkerboard's density underflows, do not make the mean -inf), and the
// total variation between their histogram and the density's bin masses on `bins` x
// `bins` squares of [-lim, lim]^2 (plus the outside as one bin), the masses integrated
// by the midpoint rule on 8 x 8 points per bin.
inline constexpr double log_density_floor = -50.0;
struct ToyScore {
    double mean_log_density;
    double total_variation;
};
ToyScore score_toy(Toy toy, const ebmkit::Tensor& samples, int bins = 40, double lim = 4.0);

}  // namespace ebm
