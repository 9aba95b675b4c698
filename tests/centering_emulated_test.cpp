// The centring kernel bodies (kernels/centering.cuh) on host threads (tests/emulation/),
// over the shapes kernels/centering.cu launches, against the CPU twin in double.
#include "emulation/block_emulation.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "host/cpu/centering.hpp"
#include "kernels/centering.cuh"
#include "support.hpp"

namespace ebmkit {
namespace {

namespace body = kernels::centering_body;

struct EmulatedOps {
    void weights(float* gw, const float* gb, const float* gc, const float* mu, const float* lambda, std::int64_t d,
                 std::int64_t m) const {
        emulation::run_grid(kernels::centering_weights_shape(d * m),
                            [&](unsigned char*) { body::weights(gw, gb, gc, mu, lambda, d, m); });
    }
    void visible_bias(const float* gw, float* gb, const float* lambda, std::int64_t d, std::int64_t m) const {
        emulation::run_grid(kernels::centering_rows_shape(d), [&](unsigned char*) { body::visible_bias(gw, gb, lambda, d, m); });
    }
    void hidden_bias(const float* gw, float* gc, const float* mu, std::int64_t d, std::int64_t m) const {
        emulation::run_grid(kernels::centering_columns_shape(m), [&](unsigned char*) { body::hidden_bias(gw, gc, mu, d, m); });
    }
};

TEST(EmulatedCentering, GradientAndOffsetsMatchTheCpuTwin) {
    auto rng = test::fresh_rng();
    const std::int64_t d = 37, m = 300;  // two blocks of columns, the second partial
    const Tensor gw = test::uniform_tensor(rng, {d, m}, -1, 1), gb = test::uniform_tensor(rng, {d}, -1, 1);
    const Tensor gc = test::uniform_tensor(rng, {m}, -1, 1), mu = test::uniform_tensor(rng, {d}, 0, 1);
    const Tensor lambda = test::uniform_tensor(rng, {m}, 0, 1);
    Tensor w = gw.clone(), b = gb.clone(), c = gc.clone(), rw = gw.clone(), rb = gb.clone(), rc = gc.clone();
    EmulatedOps ops;
    body::centered_gradient_sequence(w.data<float>(), b.data<float>(), c.data<float>(), mu.data<float>(),
                                     lambda.data<float>(), d, m, ops);
    cpu::centered_gradient(rw.data<float>(), rb.data<float>(), rc.data<float>(), mu.data<float>(), lambda.data<float>(),
                           d, m);
    EXPECT_LT(test::relative_error(w.to_vector<float>(), rw.to_vector<float>()), 1e-6);
    EXPECT_LT(test::relative_error(b.to_vector<float>(), rb.to_vector<float>()), 1e-5);
    EXPECT_LT(test::relative_error(c.to_vector<float>(), rc.to_vector<float>()), 1e-5);

    const Tensor x = test::random_bits(rng, 70, m);
    Tensor offset = lambda.clone(), ref = lambda.clone();
    emulation::run_grid(kernels::centering_columns_shape(m),
                        [&](unsigned char*) { body::offsets(offset.data<float>(), x.data<float>(), 70, m, 0.01f); });
    cpu::centering_offsets(ref.data<float>(), x.data<float>(), 70, m, 0.01f);
    EXPECT_EQ(offset.to_vector<float>(), ref.to_vector<float>());
}

}  // namespace
}  // namespace ebmkit
