// ebm sample: the samplers for any energy (ebmkit/sample.hpp) on a shipped energy
// (ebmkit/energies.hpp), with the chains' diagnostics against the energy's closed-form
// moments: acceptance, each dimension's mean and variance beside the exact ones, its
// effective sample size and split R-hat, and effective samples per second; or on a
// trained MLP's energy (--model, e.g. `ebm jem train`'s checkpoint, through
// ebmkit/mlp_energy_view.hpp), whose moments are not known. The shipped energies'
// samplers are compiled in the library, so --backend cuda runs the CUDA chains.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "ebmkit/checkpoint.hpp"
#include "ebmkit/energies.hpp"
#include "ebmkit/names.hpp"
#include "ebmkit/sample.hpp"
#include "report.hpp"
#include "model_file.hpp"

namespace ebm {

namespace {

struct SampleOptions {
    std::string energy = "banana", sampler = "mala", backend = "auto", model;
    int label = -1;
    std::int64_t chains = 1024;
    std::uint32_t steps = 1000, burn_in = 500, leapfrog = 10;
    float step = 0.1f, temperature = 1.0f;
    std::uint64_t seed = 0;
    bool json = false;
};

// An energy and its exact per-dimension mean and variance at temperature 1 (none for a model).
struct Preset {
    std::string what;
    std::vector<double> mean, variance;
};

const std::vector<std::string> energy_names = {"gaussian", "mixture", "double-well", "banana"};

// Every dimension's mean and variance over all chains and draws of a trace [steps, chains, d].
void moments_of(const std::vector<float>& trace, int d, std::vector<double>& mean, std::vector<double>& variance) {
    const std::size_t n = trace.size() / static_cast<std::size_t>(d);
    mean.assign(d, 0.0);
    variance.assign(d, 0.0);
    for (std::size_t k = 0; k < n; ++k) {
        for (int i = 0; i < d; ++i) mean[i] += trace[k * d + i] / double(n);
    }
    for (std::size_t k = 0; k < n; ++k) {
        for (int i = 0; i < d; ++i) variance[i] += (trace[k * d + i] - mean[i]) * (trace[k * d + i] - mean[i]) / double(n - 1);
    }
}

template <class E>
int run_chains(ebmkit::Context& ctx, const SampleOptions& a, const E& energy, const Preset& preset) {
    ebmkit::SampleParams p;
    p.kind = *ebmkit::value_named<ebmkit::SamplerKind>(a.sampler);  // IsMember checked it
    p.step = a.step;
    p.temperature = a.temperature;
    p.leapfrog = a.leapfrog;
    const int d = energy.dim();
    ebmkit::Tensor x = ebmkit::Tensor::zeros({a.chains, d}, ebmkit::DType::F32, ctx);
    const auto start = std::chrono::steady_clock::now();
    ebmkit::sample(ctx, energy, x, p, ebmkit::Steps{0, a.burn_in});
    const ebmkit::SampleStats s = ebmkit::sample(ctx, energy, x, p, ebmkit::Steps{a.burn_in, a.steps}, true);
    const double seconds = seconds_since(start);
    std::vector<double> mean, variance;
    moments_of(s.trace, d, mean, variance);
    const auto& ess = s.diagnostics.effective_sample_size;
    double least = ess.empty() ? 0.0 : ess[0];
    for (double e : ess) least = std::min(least, e);
    // The exact moments hold at temperature 1 only.
    const bool exact = a.temperature == 1.0f && !preset.mean.empty();
    if (a.json) {
        nlohmann::ordered_json dims = nlohmann::ordered_json::array();
        for (int i = 0; i < d; ++i) {
            nlohmann::ordered_json dim = {{"mean", mean[i]}, {"variance", variance[i]}};
            if (exact) {
                dim["exact_mean"] = preset.mean[i];
                dim["exact_variance"] = preset.variance[i];
            }
            dim["ess"] = ess[i];
            dim["split_r_hat"] = s.diagnostics.split_r_hat[i];
            dims.push_back(dim);
        }
        const nlohmann::ordered_json summary = {{"command", "sample"},
                                                {"energy", a.model.empty() ? a.energy : a.model},
                                                {"sampler", a.sampler},
                                                {"backend", ebmkit::to_string(ctx.backend())},
                                                {"chains", a.chains},
                                                {"steps", a.steps},
                                                {"burn_in", a.burn_in},
                                                {"acceptance", s.acceptance_rate()},
                                                {"dimensions", dims},
                                                {"seconds", seconds},
                                                {"ess_per_second", seconds > 0 ? least / seconds : 0.0}};
        std::printf("%s\n", summary.dump().c_str());
        return 0;
    }
    std::printf("ebm sample: %s on %s (%s), %lld chains x %u steps after %u of burn-in, %s: %.2f s\n",
                a.sampler.c_str(), a.model.empty() ? a.energy.c_str() : a.model.c_str(), preset.what.c_str(), static_cast<long long>(a.chains), a.steps,
                a.burn_in, ebmkit::to_string(ctx.backend()), seconds);
    std::printf("  acceptance %.3f\n", s.acceptance_rate());
    std::printf("  %-4s %-22s %-22s %10s %12s\n", "dim", exact ? "mean (exact)" : "mean", exact ? "variance (exact)" : "variance",
                "ESS", "split R-hat");
    for (int i = 0; i < d; ++i) {
        char m[64], v[64];
        if (exact) {
            std::snprintf(m, sizeof m, "%.4f (%.4f)", mean[i], preset.mean[i]);
            std::snprintf(v, sizeof v, "%.4f (%.4f)", variance[i], preset.variance[i]);
        } else {
            std::snprintf(m, sizeof m, "%.4f", mean[i]);
            std::snprintf(v, sizeof v, "%.4f", variance[i]);
        }
        std::printf("  %-4d %-22s %-22s %10.0f %12.4f\n", i, m, v, ess[i], s.diagnostics.split_r_hat[i]);
    }
    std::printf("  effective samples per second (the least over the dimensions): %.0f\n", seconds > 0 ? least / seconds : 0.0);
    return 0;
}

int run(const SampleOptions& a) {
    ebmkit::Context ctx(backend_of(a.backend), a.seed);
    if (!a.model.empty()) {
        const ebmkit::MlpEnergy model = ebmkit::read_mlp(load_model_file(a.model, {ModelKind::Jem, ModelKind::Score}), ctx.device());
        const ebmkit::MlpEnergyView view = ebmkit::MlpEnergyView::of(model, a.label);
        const std::string what = a.label >= 0 ? "E(x | y = " + std::to_string(a.label) + ") = -f_y(x)" : "E(x) = -LSE f(x)";
        return run_chains(ctx, a, view, {what, {}, {}});
    }
    if (a.energy == "gaussian") {
        return run_chains(ctx, a, ebmkit::GaussianEnergy::from_covariance({1.0, -1.0}, {1.0, 0.9, 0.9, 1.0}),
                          {"N((1, -1), [[1, 0.9], [0.9, 1]])", {1.0, -1.0}, {1.0, 1.0}});
    }
    if (a.energy == "mixture") {
        // Weights 0.3 and 0.7 at (-1.5, 0) and (1.5, 0.5), standard deviations 0.8 and 0.6:
        // mean sum w m, variance sum w (s^2 + m^2) - mean^2 per dimension.
        const double w[2] = {0.3, 0.7}, m0[2] = {-1.5, 1.5}, m1[2] = {0.0, 0.5}, sd[2] = {0.8, 0.6};
        Preset p{"0.3 N((-1.5, 0), 0.8^2) + 0.7 N((1.5, 0.5), 0.6^2)", {0, 0}, {0, 0}};
        for (int k = 0; k < 2; ++k) {
            p.mean[0] += w[k] * m0[k];
            p.mean[1] += w[k] * m1[k];
            p.variance[0] += w[k] * (sd[k] * sd[k] + m0[k] * m0[k]);
            p.variance[1] += w[k] * (sd[k] * sd[k] + m1[k] * m1[k]);
        }
        for (int i = 0; i < 2; ++i) p.variance[i] -= p.mean[i] * p.mean[i];
        return run_chains(ctx, a, ebmkit::GaussianMixtureEnergy::from({0.3, 0.7}, {-1.5, 0.0, 1.5, 0.5}, {0.8, 0.6}, 2), p);
    }
    if (a.energy == "double-well") {
        // x_0 ~ exp(-2 (x^2 - 1)^2) (its variance by quadrature), x_1 ~ N(0, 1).
        double z = 0, second = 0;
        for (double t = -4; t < 4; t += 1e-4) {
            const double q = std::exp(-2 * (t * t - 1) * (t * t - 1));
            z += q;
            second += q * t * t;
        }
        return run_chains(ctx, a, ebmkit::DoubleWellEnergy{2, 2.0f},
                          {"2 (x0^2 - 1)^2 + x1^2 / 2", {0.0, 0.0}, {second / z, 1.0}});
    }
    return run_chains(ctx, a, ebmkit::BananaEnergy{1.0f, 1.0f},
                      {"x0 ~ N(0, 1), x1 | x0 ~ N(x0^2 - 1, 1)", {0.0, 0.0}, {1.0, 3.0}});
}

}  // namespace

void add_sample_command(Cli& cli) {
    auto a = std::make_shared<SampleOptions>();
    const CLI::Validator positive = at_least(1), at_least_zero = at_least(0);
    CLI::App* c = cli.app().add_subcommand(
        "sample", "ULA, MALA or HMC on a shipped energy, with diagnostics against its exact moments, or on a model's");
    CLI::Option* energy =
        c->add_option("--energy", a->energy, "gaussian, mixture, double-well or banana")->check(CLI::IsMember(energy_names));
    CLI::Option* model =
        c->add_option("--model", a->model, "An MLP checkpoint (ebm jem train's) whose energy -LSE f(x) to sample instead")
            ->check(CLI::ExistingFile)
            ->excludes(energy);
    c->add_option("--label", a->label, "With --model: sample E(x | label) = -f_label(x)")->check(at_least(0))->needs(model);
    c->add_option("--sampler", a->sampler, "Unadjusted Langevin, MALA or HMC")
        ->check(CLI::IsMember(ebmkit::names_of<ebmkit::SamplerKind>()));
    c->add_option("--chains", a->chains, "Chains, each a row")->check(positive);
    c->add_option("--steps", a->steps, "Steps recorded after the burn-in (at least 4)")->check(at_least(4));
    c->add_option("--burn-in", a->burn_in, "Steps before the recorded ones")->check(at_least_zero);
    c->add_option("--step", a->step, "alpha (ULA, MALA) or the leapfrog step (HMC)")
        ->check(finite())
        ->check(CLI::PositiveNumber);
    c->add_option("--temperature", a->temperature, "T: the chains sample exp(-E / T)")
        ->check(finite())
        ->check(CLI::PositiveNumber);
    c->add_option("--leapfrog", a->leapfrog, "HMC: leapfrog steps per iteration")->check(positive);
    c->add_option("--seed", a->seed, "Seed of the chains")->check(at_least_zero);
    add_backend_option(*c, a->backend);
    c->add_flag("--json", a->json, "Print a JSON summary on stdout");
    cli.add(c, [a] { return run(*a); });
}

}  // namespace ebm
