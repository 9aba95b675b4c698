// LogSumExp CUDA kernels against the CPU reference on awkward shapes (every
// launch strategy, vector and scalar loads), outputs poisoned with NaN first.
#include <gtest/gtest.h>

#include <limits>

#include "support.hpp"

namespace ebmkit {
namespace {

class LogSumExpGpu : public ::testing::Test {
protected:
    void SetUp() override {
        if (!cuda_available()) GTEST_SKIP() << "no CUDA device: the LogSumExp kernels need one";
    }
};

void compare(Context& gpu, Context& cpu, const Tensor& x_host, double tolerance) {
    const std::int64_t rows = x_host.dim(0), cols = x_host.dim(1);
    Tensor x = x_host.to(Device::Cuda);
    Tensor out = test::poisoned({rows}, Device::Cuda);
    logsumexp(gpu, x, out);
    Tensor ref = test::poisoned({rows});
    logsumexp(cpu, x_host, ref);
    EXPECT_LT(test::relative_error(out.to_vector<float>(), ref.to_vector<float>()), tolerance)
        << rows << " x " << cols;

    auto rng = test::fresh_rng();
    Tensor dlse_host = test::uniform_tensor(rng, {rows}, -1.0f, 1.0f);
    Tensor dx = test::poisoned({rows, cols}, Device::Cuda);
    const Tensor dref = ref.to(Device::Cuda), dlse = dlse_host.to(Device::Cuda);
    logsumexp_backward(gpu, x, dref, dlse, dx);
    Tensor dx_ref = test::poisoned({rows, cols});
    logsumexp_backward(cpu, x_host, ref, dlse_host, dx_ref);
    EXPECT_LT(test::relative_error(dx.to_vector<float>(), dx_ref.to_vector<float>()), tolerance)
        << "backward " << rows << " x " << cols;
}

TEST_F(LogSumExpGpu, MatchesCpuOnAwkwardShapes) {
    Context gpu(Backend::Cuda), cpu(Backend::Cpu);
    auto rng = test::fresh_rng();
    const std::pair<std::int64_t, std::int64_t> shapes[] = {
        {1, 1},    {1, 3},    {7, 1},    {31, 10},   {33, 31},    {64, 32},  {3, 33},   {129, 100},
        {1000, 4}, {5, 1023}, {5, 1024}, {17, 1025}, {4, 4096},   {3, 4097}, {2, 65537}, {65537, 8},
        {1, 1000003}};
    for (auto [rows, cols] : shapes) {
        compare(gpu, cpu, test::uniform_tensor(rng, {rows, cols}, -30.0f, 30.0f), 1e-5);
    }
}

TEST_F(LogSumExpGpu, VeryLargeKInOneRow) {
    Context gpu(Backend::Cuda), cpu(Backend::Cpu);
    auto rng = test::fresh_rng();
    compare(gpu, cpu, test::uniform_tensor(rng, {2, 1 << 20}, -5.0f, 5.0f), 1e-5);
}

TEST_F(LogSumExpGpu, UnalignedRowsTakeTheScalarPath) {
    Context gpu(Backend::Cuda), cpu(Backend::Cpu);
    auto rng = test::fresh_rng();
    // A view starting one float into the buffer: 16-byte loads would be misaligned.
    Tensor big = test::uniform_tensor(rng, {1, 8 * 64 + 1}, -3.0f, 3.0f).to(Device::Cuda);
    ConstTensorView x(big.data<float>() + 1, {8, 64}, DType::F32, Device::Cuda);
    Tensor out = test::poisoned({8}, Device::Cuda);
    logsumexp(gpu, x, out);
    Tensor x_host({8, 64});
    copy(x, x_host);
    Tensor ref = test::poisoned({8});
    logsumexp(cpu, x_host, ref);
    EXPECT_LT(test::relative_error(out.to_vector<float>(), ref.to_vector<float>()), 1e-5);
}

TEST_F(LogSumExpGpu, SpecialValuesFollowTheContract) {
    Context gpu(Backend::Cuda);
    constexpr float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
    // One row per case, at two widths so both strategies see it.
    for (std::int64_t cols : {8, 2048}) {
        std::vector<float> v(static_cast<std::size_t>(4 * cols), 0.0f);
        for (std::int64_t k = 0; k < cols; ++k) {
            v[k] = -inf;                                     // row 0: all -inf
            v[cols + k] = k == cols / 2 ? nan : float(k % 3);  // row 1: one NaN
            v[2 * cols + k] = k == 1 ? inf : -inf;           // row 2: +inf among -inf
            v[3 * cols + k] = k % 2 ? -inf : 0.0f;           // row 3: half -inf, half 0
        }
        Tensor x = Tensor::from(v, {4, cols}).to(Device::Cuda);
        Tensor out = test::poisoned({4}, Device::Cuda);
        logsumexp(gpu, x, out);
        const auto o = out.to_vector<float>();
        EXPECT_EQ(o[0], -inf);
        EXPECT_TRUE(std::isnan(o[1]));
        EXPECT_EQ(o[2], inf);
        EXPECT_NEAR(o[3], std::log(double(cols / 2)), 1e-5);

        Tensor dx = test::poisoned({4, cols}, Device::Cuda);
        const Tensor ones = test::filled({4}, 1.0f, Device::Cuda);
        logsumexp_backward(gpu, x, out, ones, dx);
        const auto g = dx.to_vector<float>();
        for (std::int64_t k = 0; k < cols; ++k) EXPECT_EQ(g[k], 0.0f) << "all -inf row, col " << k;
        EXPECT_EQ(g[3 * cols + 1], 0.0f);
        EXPECT_NEAR(g[3 * cols], 1.0 / double(cols / 2), 1e-6);
    }
}

TEST_F(LogSumExpGpu, BackwardMayWriteIntoItsInput) {
    Context gpu(Backend::Cuda);
    auto rng = test::fresh_rng();
    Tensor x = test::uniform_tensor(rng, {9, 40}, -3.0f, 3.0f).to(Device::Cuda);
    Tensor lse = test::poisoned({9}, Device::Cuda), dlse = test::filled({9}, 2.0f, Device::Cuda);
    logsumexp(gpu, x, lse);
    Tensor separate = test::poisoned({9, 40}, Device::Cuda);
    logsumexp_backward(gpu, x, lse, dlse, separate);
    logsumexp_backward(gpu, x, lse, dlse, x);
    EXPECT_EQ(x.to_vector<float>(), separate.to_vector<float>());
}

}  // namespace
}  // namespace ebmkit
