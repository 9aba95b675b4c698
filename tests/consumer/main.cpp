// Computes one LogSumExp through an installed ebmkit; exits 0 when it is right.
#include <ebmkit/ebmkit.hpp>

#include <cmath>
#include <cstdio>

int main() {
    ebmkit::Context ctx(ebmkit::Backend::Cpu);
    ebmkit::Tensor x = ebmkit::Tensor::from({0.0f, 0.0f, 0.0f, 0.0f}, {1, 4});
    ebmkit::Tensor out({1});
    ebmkit::logsumexp(ctx, x, out);
    const float got = out.to_vector<float>()[0];
    std::printf("logsumexp([0, 0, 0, 0]) = %.7f\n", got);
    return std::fabs(got - std::log(4.0f)) < 1e-6f ? 0 : 1;
}
