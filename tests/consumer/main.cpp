// Through an installed ebmkit: one LogSumExp, and the README's own energy sampled by HMC
// (the public templates compile outside the tree); exits 0 when both are right.
#include <ebmkit/ebmkit.hpp>

#include <cmath>
#include <cstdio>

// README's example: E(x) = sum_i x_i^4 / 4.
struct Quartic {
    EBMKIT_HOST_DEVICE int dim() const { return 3; }
    EBMKIT_HOST_DEVICE float operator()(const float* x, float* grad) const {
        float e = 0;
        for (int i = 0; i < 3; ++i) {
            grad[i] = x[i] * x[i] * x[i];
            e += 0.25f * x[i] * grad[i];
        }
        return e;
    }
};

int main() {
    ebmkit::Context ctx(ebmkit::Backend::Cpu, 1);
    ebmkit::Tensor x = ebmkit::Tensor::from({0.0f, 0.0f, 0.0f, 0.0f}, {1, 4});
    ebmkit::Tensor out({1});
    ebmkit::logsumexp(ctx, x, out);
    const float got = out.to_vector<float>()[0];
    std::printf("logsumexp([0, 0, 0, 0]) = %.7f\n", got);
    ebmkit::Tensor chains = ebmkit::Tensor::zeros({256, 3});
    const ebmkit::SampleStats s = ebmkit::sample(ctx, Quartic{}, chains, ebmkit::SampleParams::hmc(0.1f, 10), {0, 200}, true);
    std::printf("HMC on sum x^4 / 4: acceptance %.3f, ESS of x_0 %.0f\n", s.acceptance_rate(),
                s.diagnostics.effective_sample_size[0]);
    const bool sampled = s.acceptance_rate() > 0.5 && s.trace.size() == 200u * 256 * 3;
    return std::fabs(got - std::log(4.0f)) < 1e-6f && sampled ? 0 : 1;
}
