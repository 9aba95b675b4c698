// Degree-2 Taylor numbers ("jets") a(t) = a0 + a1 t + a2 t^2, truncated after t^2, for the
// score family's CPU twin (host/cpu/score.cpp). Carried through the MLP's forward and
// backward passes from an input x + t v, they give every quantity of those passes at
// x + t v to second order in t: the coefficient of t of the parameter gradient is its
// derivative along v (d/dt grad_theta E(x + t v) = grad_theta (v . grad_x E)), the
// coefficient of t^2 half its second derivative. Branches (ReLU's kink, the largest
// logit) follow the constant term.
#pragma once

#include <cmath>

namespace ebmkit::cpu {

struct Jet {
    double c[3] = {0.0, 0.0, 0.0};

    Jet() = default;
    Jet(double v) : c{v, 0.0, 0.0} {}  // NOLINT: a constant is a jet
    Jet(double c0, double c1, double c2) : c{c0, c1, c2} {}
    double value() const { return c[0]; }
};

inline Jet operator+(const Jet& a, const Jet& b) { return {a.c[0] + b.c[0], a.c[1] + b.c[1], a.c[2] + b.c[2]}; }
inline Jet operator-(const Jet& a, const Jet& b) { return {a.c[0] - b.c[0], a.c[1] - b.c[1], a.c[2] - b.c[2]}; }
inline Jet operator-(const Jet& a) { return {-a.c[0], -a.c[1], -a.c[2]}; }
inline Jet operator*(const Jet& a, const Jet& b) {
    return {a.c[0] * b.c[0], a.c[0] * b.c[1] + a.c[1] * b.c[0], a.c[0] * b.c[2] + a.c[1] * b.c[1] + a.c[2] * b.c[0]};
}
inline Jet operator/(const Jet& a, const Jet& b) {
    const double q0 = a.c[0] / b.c[0], q1 = (a.c[1] - q0 * b.c[1]) / b.c[0];
    return {q0, q1, (a.c[2] - q0 * b.c[2] - q1 * b.c[1]) / b.c[0]};
}
inline Jet& operator+=(Jet& a, const Jet& b) { return a = a + b; }
inline bool operator>(const Jet& a, const Jet& b) { return a.c[0] > b.c[0]; }

// f(a) from f(a0), f'(a0), f''(a0): f(a) = f0 + f1 (a1 t + a2 t^2) + f2 / 2 a1^2 t^2.
inline Jet compose(const Jet& a, double f0, double f1, double f2) {
    return {f0, f1 * a.c[1], f1 * a.c[2] + 0.5 * f2 * a.c[1] * a.c[1]};
}
inline Jet exp(const Jet& a) {
    const double e = std::exp(a.c[0]);
    return compose(a, e, e, e);
}
inline Jet expm1(const Jet& a) {
    const double e = std::exp(a.c[0]);
    return compose(a, std::expm1(a.c[0]), e, e);
}
inline Jet log(const Jet& a) { return compose(a, std::log(a.c[0]), 1.0 / a.c[0], -1.0 / (a.c[0] * a.c[0])); }
inline Jet log1p(const Jet& a) {
    const double b = 1.0 + a.c[0];
    return compose(a, std::log1p(a.c[0]), 1.0 / b, -1.0 / (b * b));
}
inline Jet tanh(const Jet& a) {
    const double y = std::tanh(a.c[0]), d = 1.0 - y * y;
    return compose(a, y, d, -2.0 * y * d);
}
inline Jet fabs(const Jet& a) { return a.c[0] < 0 ? -a : a; }

}  // namespace ebmkit::cpu
