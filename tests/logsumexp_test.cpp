// LogSumExp reference path: closed forms, special values, an independent
// long-double evaluation, and the gradient against central differences.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "support.hpp"

namespace ebmkit {
namespace {

constexpr float inf = std::numeric_limits<float>::infinity();
constexpr float nan = std::numeric_limits<float>::quiet_NaN();

std::vector<float> lse_rows(Context& ctx, const Tensor& x) {
    Tensor out = test::poisoned({x.dim(0)});
    logsumexp(ctx, x, out);
    return out.to_vector<float>();
}

// Naive, unshifted, in long double: fine for |x| < ~10000.
long double naive_lse(const float* x, std::int64_t n) {
    long double s = 0;
    for (std::int64_t k = 0; k < n; ++k) s += std::exp(static_cast<long double>(x[k]));
    return std::log(s);
}

TEST(LogSumExp, ConstantRowGivesValuePlusLogK) {
    Context ctx(Backend::Cpu);
    for (std::int64_t k : {1, 2, 10, 1000}) {
        const auto out = lse_rows(ctx, test::filled({3, k}, 2.5f));
        for (float v : out) EXPECT_NEAR(v, 2.5 + std::log(double(k)), 1e-6) << "K = " << k;
    }
}

TEST(LogSumExp, MatchesLongDoubleOnRandomRows) {
    Context ctx(Backend::Cpu);
    auto rng = test::fresh_rng();
    for (std::int64_t k : {1, 7, 31, 33, 1000}) {
        Tensor x = test::uniform_tensor(rng, {17, k}, -20.0f, 20.0f);
        const auto out = lse_rows(ctx, x);
        std::vector<double> ref;
        for (int r = 0; r < 17; ++r) ref.push_back(static_cast<double>(naive_lse(x.data<float>() + r * k, k)));
        EXPECT_LT(test::relative_error(out, ref), 1e-7) << "K = " << k;
    }
}

TEST(LogSumExp, LargeValuesDoNotOverflow) {
    Context ctx(Backend::Cpu);
    Tensor x = Tensor::from({1e30f, 1e30f, 3e38f, -3e38f}, {2, 2});
    const auto out = lse_rows(ctx, x);
    EXPECT_FLOAT_EQ(out[0], 1e30f);  // + log 2 is far below float resolution
    EXPECT_FLOAT_EQ(out[1], 3e38f);
}

TEST(LogSumExp, AllNegativeInfinityRowGivesNegativeInfinity) {
    Context ctx(Backend::Cpu);
    const auto out = lse_rows(ctx, Tensor::from({-inf, -inf, -inf}, {1, 3}));
    EXPECT_EQ(out[0], -inf);
}

TEST(LogSumExp, NegativeInfinityEntriesContributeNothing) {
    Context ctx(Backend::Cpu);
    const auto out = lse_rows(ctx, Tensor::from({-inf, 0.0f, -inf, 0.0f}, {1, 4}));
    EXPECT_NEAR(out[0], std::log(2.0), 1e-7);
}

TEST(LogSumExp, AnyNanGivesNanEvenBesideInfinities) {
    Context ctx(Backend::Cpu);
    const auto out = lse_rows(ctx, Tensor::from({1.0f, nan, 2.0f, inf, nan, -inf, -inf, nan}, {2, 4}));
    EXPECT_TRUE(std::isnan(out[0]));
    EXPECT_TRUE(std::isnan(out[1]));
}

TEST(LogSumExp, PositiveInfinityGivesPositiveInfinity) {
    Context ctx(Backend::Cpu);
    const auto out = lse_rows(ctx, Tensor::from({1.0f, inf, -inf, 2.0f}, {1, 4}));
    EXPECT_EQ(out[0], inf);
}

TEST(LogSumExpBackward, IsUpstreamTimesSoftmaxAndMatchesFiniteDifferences) {
    Context ctx(Backend::Cpu);
    auto rng = test::fresh_rng();
    const std::int64_t rows = 5, k = 13;
    Tensor x = test::uniform_tensor(rng, {rows, k}, -5.0f, 5.0f);
    Tensor dlse = test::uniform_tensor(rng, {rows}, -2.0f, 2.0f);
    Tensor lse = test::poisoned({rows});
    logsumexp(ctx, x, lse);
    Tensor dx = test::poisoned({rows, k});
    logsumexp_backward(ctx, x, lse, dlse, dx);
    // Central differences of the long-double LSE, step h in each coordinate.
    std::vector<double> ref;
    const long double h = 1e-4L;
    for (std::int64_t r = 0; r < rows; ++r) {
        std::vector<long double> row(x.data<float>() + r * k, x.data<float>() + (r + 1) * k);
        auto f = [&](const std::vector<long double>& v) {
            long double s = 0;
            for (long double e : v) s += std::exp(e);
            return std::log(s);
        };
        for (std::int64_t j = 0; j < k; ++j) {
            auto plus = row, minus = row;
            plus[j] += h;
            minus[j] -= h;
            ref.push_back(static_cast<double>(dlse.data<float>()[r] * (f(plus) - f(minus)) / (2 * h)));
        }
    }
    EXPECT_LT(test::relative_error(dx.to_vector<float>(), ref), 1e-6);
}

TEST(LogSumExpBackward, AllNegativeInfinityRowHasZeroGradient) {
    Context ctx(Backend::Cpu);
    Tensor x = Tensor::from({-inf, -inf, 0.0f, 1.0f}, {2, 2});
    Tensor lse = test::poisoned({2});
    logsumexp(ctx, x, lse);
    Tensor dx = test::poisoned({2, 2});
    const Tensor ones = test::filled({2}, 1.0f);
    logsumexp_backward(ctx, x, lse, ones, dx);
    const auto g = dx.to_vector<float>();
    EXPECT_EQ(g[0], 0.0f);
    EXPECT_EQ(g[1], 0.0f);
    EXPECT_NEAR(g[2] + g[3], 1.0, 1e-7);
    EXPECT_NEAR(g[3] / g[2], std::exp(1.0), 1e-5);
}

TEST(LogSumExpBackward, MayWriteIntoItsInput) {
    Context ctx(Backend::Cpu);
    auto rng = test::fresh_rng();
    Tensor x = test::uniform_tensor(rng, {4, 9}, -3.0f, 3.0f);
    Tensor lse = test::poisoned({4});
    logsumexp(ctx, x, lse);
    Tensor dlse = test::uniform_tensor(rng, {4}, -1.0f, 1.0f);
    Tensor separate = test::poisoned({4, 9});
    logsumexp_backward(ctx, x, lse, dlse, separate);
    logsumexp_backward(ctx, x, lse, dlse, x);
    EXPECT_EQ(x.to_vector<float>(), separate.to_vector<float>());
}

}  // namespace
}  // namespace ebmkit
