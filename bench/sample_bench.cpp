// sample: the samplers for any energy (include/ebmkit/sample.hpp), MALA and HMC on an
// 8-D Gaussian with correlation 0.9^|i-j| and on the 2-D Gaussian mixture, with the
// shipped energies and with the same Gaussian written as a user's functor (compiled here,
// by nvcc where the build has CUDA: bench/CMakeLists.txt). The figure of merit is
// effective samples per second: the least ESS over the dimensions of a traced run, over
// the median time of the same chains untraced (the trace's copy and the diagnostics are
// not the sampler's cost). The peer: bench/peers/torch_hmc.py, the same chains in PyTorch.
#include <cmath>

#include "bench/workloads.hpp"
#include "ebmkit/energies.hpp"

namespace ebmkit::bench {

namespace {

constexpr int gaussian_dim = 8;

std::vector<double> ar_covariance() {
    std::vector<double> c(gaussian_dim * gaussian_dim);
    for (int i = 0; i < gaussian_dim; ++i) {
        for (int j = 0; j < gaussian_dim; ++j) c[i * gaussian_dim + j] = std::pow(0.9, std::abs(i - j));
    }
    return c;
}

// The 8-D Gaussian as a user would write it: its precision matrix by value.
struct UserGaussian {
    float precision[gaussian_dim * gaussian_dim];
    EBMKIT_HOST_DEVICE int dim() const { return gaussian_dim; }
    EBMKIT_HOST_DEVICE float operator()(const float* x, float* grad) const {
        float e = 0.0f;
        for (int i = 0; i < gaussian_dim; ++i) {
            float g = 0.0f;
            for (int j = 0; j < gaussian_dim; ++j) g += precision[i * gaussian_dim + j] * x[j];
            grad[i] = g;
            e += 0.5f * x[i] * g;
        }
        return e;
    }
};

template <class E>
Record run_sample(Setting& s, const E& energy, const std::string& name, const SampleParams& p, std::int64_t chains,
                  std::uint32_t steps) {
    Context& ctx = s.ctx;
    const int d = energy.dim();
    Tensor x = Tensor::zeros({chains, d}, DType::F32, ctx);
    sample(ctx, energy, x, p, Steps{0, 200});  // burn-in
    std::uint32_t first = 200;
    const Stats t = time_runs(
        ctx,
        [&](int) {
            sample(ctx, energy, x, p, Steps{first, steps});
            first += steps;
        },
        1, s.gpu() ? 5 : 2);
    const SampleStats traced = sample(ctx, energy, x, p, Steps{first, steps}, true);
    double ess = traced.diagnostics.effective_sample_size.empty() ? 0 : traced.diagnostics.effective_sample_size[0];
    for (double e : traced.diagnostics.effective_sample_size) ess = std::min(ess, e);
    return {"sample",
            name + " " + to_string(p.kind) + ", " + std::to_string(chains) + " chains x " + std::to_string(steps) +
                " steps",
            s.variant, device_name(ctx), t, 0.0, ess, "effective_samples", Roofline{"none", 0.0}};
}

}  // namespace

void sample_workloads(std::vector<Workload>& out) {
    out.push_back({"sample", false, true, [](Setting& s, const std::function<void(Record)>& emit) {
                       const std::vector<double> cov = ar_covariance();
                       const GaussianEnergy gaussian =
                           GaussianEnergy::from_covariance(std::vector<double>(gaussian_dim, 0.0), cov);
                       UserGaussian user{};
                       for (int i = 0; i < gaussian_dim; ++i) {
                           for (int j = 0; j < gaussian_dim; ++j) {
                               user.precision[i * gaussian_dim + j] = gaussian.precision[i * gaussian_dim + j];
                           }
                       }
                       const GaussianMixtureEnergy mixture =
                           GaussianMixtureEnergy::from({0.3, 0.7}, {-1.5, 0.0, 1.5, 0.5}, {0.8, 0.6}, 2);
                       // Steps sized for each target: MALA near its 0.57 optimum, HMC near 0.8.
                       const SampleParams mala_gaussian = SampleParams::mala(0.08f), hmc_gaussian = SampleParams::hmc(0.25f, 10);
                       const SampleParams mala_mixture = SampleParams::mala(0.2f), hmc_mixture = SampleParams::hmc(0.3f, 10);
                       for (std::int64_t chains : s.gpu() ? std::vector<std::int64_t>{1024, 65536}
                                                          : std::vector<std::int64_t>{1024}) {
                           const std::uint32_t steps = 500;
                           for (const SampleParams& p : {mala_gaussian, hmc_gaussian}) {
                               emit(run_sample(s, gaussian, "gaussian-8", p, chains, steps));
                               emit(run_sample(s, user, "gaussian-8 user functor", p, chains, steps));
                           }
                           for (const SampleParams& p : {mala_mixture, hmc_mixture}) {
                               emit(run_sample(s, mixture, "mixture-2", p, chains, steps));
                           }
                       }
                   }});
}

}  // namespace ebmkit::bench
