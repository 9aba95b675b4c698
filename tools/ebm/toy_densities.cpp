#include "toy_densities.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace ebm {

namespace {

constexpr double ring_radius = 2.0, ring_sd = 0.2;
constexpr double rings[2] = {1.0, 2.5}, rings_sd = 0.1;
constexpr double board_blur = 0.05;
const double pi = std::acos(-1.0);

double log_normal(double v, double mean, double sd) {
    const double z = (v - mean) / sd;
    return -0.5 * z * z - std::log(sd * std::sqrt(2 * pi));
}

double log_sum_exp(const std::vector<double>& v) {
    const double top = *std::max_element(v.begin(), v.end());
    if (!std::isfinite(top)) return top;
    double sum = 0;
    for (double e : v) sum += std::exp(e - top);
    return top + std::log(sum);
}

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

// The dark squares' lower-left corners: (i, j) in {-2 .. 1}^2 with i + j even.
std::vector<std::pair<int, int>> dark_squares() {
    std::vector<std::pair<int, int>> out;
    for (int i = -2; i < 2; ++i) {
        for (int j = -2; j < 2; ++j) {
            if ((i + j) % 2 == 0) out.emplace_back(i, j);
        }
    }
    return out;
}

}  // namespace

const std::vector<std::string>& toy_names() {
    static const std::vector<std::string> names = {"ring8", "two-rings", "checkerboard"};
    return names;
}

std::optional<Toy> toy_named(const std::string& name) {
    for (std::size_t i = 0; i < toy_names().size(); ++i) {
        if (toy_names()[i] == name) return static_cast<Toy>(i);
    }
    return std::nullopt;
}

const char* toy_name(Toy toy) { return toy_names()[static_cast<std::size_t>(toy)].c_str(); }

ebmkit::Tensor draw_toy(Toy toy, std::int64_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> z;
    std::uniform_real_distribution<double> u;
    const auto squares = dark_squares();
    std::vector<float> x(static_cast<std::size_t>(2 * n));
    for (std::int64_t r = 0; r < n; ++r) {
        double a = 0, b = 0;
        if (toy == Toy::Ring8) {
            const double t = 2 * pi * static_cast<double>(rng() % 8) / 8;
            a = ring_radius * std::cos(t) + ring_sd * z(rng);
            b = ring_radius * std::sin(t) + ring_sd * z(rng);
        } else if (toy == Toy::TwoRings) {
            const double radius = rings[rng() % 2] + rings_sd * z(rng), t = 2 * pi * u(rng);
            a = radius * std::cos(t);
            b = radius * std::sin(t);
        } else {
            const auto [i, j] = squares[rng() % squares.size()];
            a = i + u(rng) + board_blur * z(rng);
            b = j + u(rng) + board_blur * z(rng);
        }
        x[2 * r] = static_cast<float>(a);
        x[2 * r + 1] = static_cast<float>(b);
    }
    return ebmkit::Tensor::from(x, {n, 2});
}

double toy_log_density(Toy toy, double x, double y) {
    std::vector<double> terms;
    if (toy == Toy::Ring8) {
        for (int k = 0; k < 8; ++k) {
            const double t = 2 * pi * k / 8;
            terms.push_back(std::log(1.0 / 8) + log_normal(x, ring_radius * std::cos(t), ring_sd) +
                            log_normal(y, ring_radius * std::sin(t), ring_sd));
        }
        return log_sum_exp(terms);
    }
    if (toy == Toy::TwoRings) {
        const double r = std::max(std::hypot(x, y), 1e-12);
        for (double radius : rings) terms.push_back(std::log(0.5) + log_normal(r, radius, rings_sd) - std::log(2 * pi * r));
        return log_sum_exp(terms);
    }
    double p = 0;
    for (const auto& [i, j] : dark_squares()) {
        p += (normal_cdf((x - i) / board_blur) - normal_cdf((x - i - 1) / board_blur)) *
             (normal_cdf((y - j) / board_blur) - normal_cdf((y - j - 1) / board_blur));
    }
    return std::log(p / 8);
}

ToyScore score_toy(Toy toy, const ebmkit::Tensor& samples, int bins, double lim) {
    const std::int64_t n = samples.dim(0);
    const std::vector<float> s = samples.to_vector<float>();
    ToyScore out{0, 0};
    std::vector<double> hist(static_cast<std::size_t>(bins * bins + 1), 0.0);
    const double width = 2 * lim / bins;
    for (std::int64_t r = 0; r < n; ++r) {
        const double x = s[2 * r], y = s[2 * r + 1];
        out.mean_log_density += std::max(log_density_floor, toy_log_density(toy, x, y)) / static_cast<double>(n);
        const int i = static_cast<int>(std::floor((x + lim) / width)), j = static_cast<int>(std::floor((y + lim) / width));
        const bool inside = i >= 0 && i < bins && j >= 0 && j < bins;
        hist[inside ? static_cast<std::size_t>(i * bins + j) : hist.size() - 1] += 1.0 / static_cast<double>(n);
    }
    constexpr int sub = 8;
    double inside_mass = 0, tv = 0;
    for (int i = 0; i < bins; ++i) {
        for (int j = 0; j < bins; ++j) {
            double mass = 0;
            for (int a = 0; a < sub; ++a) {
                for (int b = 0; b < sub; ++b) {
                    const double x = -lim + (i + (a + 0.5) / sub) * width, y = -lim + (j + (b + 0.5) / sub) * width;
                    mass += std::exp(toy_log_density(toy, x, y)) * width * width / (sub * sub);
                }
            }
            inside_mass += mass;
            tv += std::abs(mass - hist[static_cast<std::size_t>(i * bins + j)]);
        }
    }
    tv += std::abs(std::max(0.0, 1.0 - inside_mass) - hist.back());
    out.total_variation = tv / 2;
    return out;
}

}  // namespace ebm
