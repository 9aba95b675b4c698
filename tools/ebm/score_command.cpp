// ebm score train | sample | denoise: score-based EBMs (ebmkit/score.hpp) on
// Fashion-MNIST (pixels in [0, 1]) or on a 2-D density known in closed form
// (toy_densities.hpp), trained by denoising or sliced score matching and sampled by
// annealed Langevin dynamics.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "config.hpp"
#include "ebmkit/ebmkit.hpp"
#include "epoch_log.hpp"
#include "interrupt.hpp"
#include "mlp_options.hpp"
#include "plot/curves.hpp"
#include "ranks.hpp"
#include "report.hpp"
#include "restore_report.hpp"
#include "toy_densities.hpp"
#include "model_file.hpp"

namespace ebm {

namespace {

using namespace ebmkit;

constexpr const char* fashion = "fashion-mnist";

// The score family has no CUDA kernels yet: auto runs it on the CPU; cuda is the
// library's refusal, which names the fallback.
Backend score_backend(const std::string& name) {
    const Backend b = backend_of(name);
    return b == Backend::Auto ? Backend::Cpu : b;
}

std::vector<std::string> dataset_names() {
    std::vector<std::string> names = {fashion};
    for (const std::string& n : toy_names()) names.push_back(n);
    return names;
}

// The box annealed Langevin starts in: the pixels' range, or the toys' [-4, 4]^2.
std::pair<float, float> start_box(const std::string& dataset) {
    return dataset == fashion ? std::pair{0.0f, 1.0f} : std::pair{-4.0f, 4.0f};
}

// Rows [from, from + count) of a host tensor [N, D].
Tensor rows_of(const Tensor& t, std::int64_t from, std::int64_t count) {
    Tensor out({count, t.dim(1)});
    copy(ConstTensorView(t.data<float>() + from * t.dim(1), {count, t.dim(1)}, DType::F32, Device::Host), out);
    return out;
}

struct TrainOptions {
    std::string dataset = fashion, data = default_fashion_mnist_dir(), widths, activation = "softplus";
    std::string loss = "dsm", conditioning = "scaled_by_noise", projection = "rademacher";
    std::string optimizer = "adam", backend = "auto", out = "score.safetensors", curves, resume, log;
    std::int64_t epochs = 10, batch = 128, samples = 20000, train_limit = 0, valid = 2000;
    double sigma_max = 0, sigma_min = 0, lr = 1e-3;
    int levels = 10;
    std::uint64_t seed = 0;
    bool no_sigma_weight = false, json = false;
};

struct SampleOptions {
    std::string model, backend = "auto", out = "score-samples.png", csv;
    std::int64_t count = 64;
    std::uint32_t steps_per_level = 0;
    double epsilon = 0;
    std::uint64_t seed = 0;
    bool no_denoise = false, json = false;
};

struct DenoiseOptions {
    std::string model, data = default_fashion_mnist_dir(), backend = "auto", out = "score-denoise.png";
    double sigma = 0.1;
    std::int64_t count = 1000;
    std::uint64_t seed = 0;
    bool json = false;
};

int train(CLI::App& command, TrainOptions& a) {
    apply_config(command);
    const bool images = a.dataset == fashion;
    const std::string widths_text = a.widths.empty() ? (images ? "784,256,256,1" : "2,128,128,1") : a.widths;
    const auto widths = widths_of(widths_text);
    ScoreTrainOptions o;
    o.batch = a.batch;
    o.loss = *value_named<ScoreLoss>(a.loss);
    o.conditioning = *value_named<NoiseConditioning>(a.conditioning);
    o.projection = *value_named<Projection>(a.projection);
    o.sigma_squared_weight = !a.no_sigma_weight;
    // The ladders of Song & Ermon (2019): from about the data's largest pairwise distance
    // down to below the pixel noise (images), or to the toys' finest structure.
    const double top = a.sigma_max > 0 ? a.sigma_max : (images ? 1.0 : 2.0);
    const double bottom = a.sigma_min > 0 ? a.sigma_min : (images ? 0.01 : 0.05);
    o.sigmas = geometric_ladder(static_cast<float>(top), static_cast<float>(a.levels == 1 ? top : bottom), a.levels);
    if (o.loss != ScoreLoss::Denoising) {
        // The sliced losses fit the data's own score s(x): no noise, one level (the
        // smallest, which sampling anneals to), no conditioning.
        o.sigmas = {static_cast<float>(bottom)};
        o.conditioning = NoiseConditioning::None;
    }
    o.optimizer.kind = optimizer_of(a.optimizer);
    o.optimizer.lr = static_cast<float>(a.lr);

    const auto start = std::chrono::steady_clock::now();
    Tensor data, valid;
    if (images) {
        const ImageSet train_set = load_fashion_mnist(a.data, "train"), test_set = load_fashion_mnist(a.data, "test");
        const std::int64_t n = a.train_limit > 0 ? std::min(a.train_limit, train_set.size()) : train_set.size();
        data = rows_of(train_set.images, 0, n);
        valid = rows_of(test_set.images, 0, std::min(a.valid, test_set.size()));
    } else {
        const Toy toy = *toy_named(a.dataset);
        data = draw_toy(toy, a.samples, a.seed);
        valid = draw_toy(toy, a.valid, a.seed + 1);
    }
    if (widths.front() != data.dim(1)) {
        throw UsageError{"--widths: the input width " + std::to_string(widths.front()) + " is not the data's " +
                         std::to_string(data.dim(1))};
    }
    if (widths.back() != 1) {
        std::fprintf(stderr, "score: %lld outputs: the energy is -LSE of them\n", static_cast<long long>(widths.back()));
    }
    Context ctx(score_backend(a.backend), a.seed);
    const Ranks ranks(ctx);
    ranks.check_split("score train", "--batch", o.batch);
    MlpEnergy model(widths, activation_of(a.activation));
    model.init_uniform(a.seed);
    model = model.to(ctx.device());
    ScoreTrainer trainer(ctx, model, o, ranks.comm());
    if (!a.resume.empty()) trainer.load(a.resume);
    const std::map<std::string, std::string> metadata = {{config_key, recorded_config(command)},
                                                         {"dataset", a.dataset}};
    CurvesFile curves(ranks.lead() ? a.curves : "", {"epoch", "loss", "valid_loss"}, "score");
    EpochLog log(ranks.lead() ? a.log : "", !a.resume.empty());
    std::fprintf(stderr, "score: %s %s on %s, %lld rows, batch %lld, %s, %d levels %g .. %g, backend %s%s\n",
                 widths_text.c_str(), a.activation.c_str(), a.dataset.c_str(), static_cast<long long>(data.dim(0)),
                 static_cast<long long>(o.batch), a.loss.c_str(), a.levels, o.sigmas.front(), o.sigmas.back(),
                 to_string(ctx.backend()), ranks.batch_split(o.batch).c_str());
    double best = INFINITY;
    const StopOnSignal stop;
    for (std::int64_t e = 0; e < a.epochs; ++e) {
        Progress bar("epoch " + std::to_string(trainer.epoch() + 1));
        const std::size_t events_before = trainer.events().size();
        const ScoreStepStats s = trainer.train_epoch(
            data, [&](std::int64_t d, std::int64_t t, const ScoreStepStats&) { bar.update(d, t); }, &stop.flag());
        if (s.interrupted) {
            return stop_for_signal(stop, bar, "score",
                                   "after " + std::to_string(trainer.iterations()) + " steps (epoch " +
                                       std::to_string(trainer.epoch() + 1) + ", batch " +
                                       std::to_string(trainer.batch_in_epoch()) + ")",
                                   a.out, [&](const std::string& path) { trainer.save(path, metadata); });
        }
        for (std::size_t i = events_before; i < trainer.events().size(); ++i) {
            std::fprintf(stderr, "score: %s\n", trainer.events()[i].c_str());
        }
        const double valid_loss = trainer.evaluate(valid);
        char line[160];
        std::snprintf(line, sizeof line, "loss %.5f, valid loss %.5f", s.loss, valid_loss);
        bar.finish(line);
        const nlohmann::ordered_json epoch = {{"epoch", trainer.epoch()},
                                              {"iterations", trainer.iterations()},
                                              {"loss", s.loss},
                                              {"valid_loss", valid_loss},
                                              {"seconds", seconds_since(start)}};
        log.write(epoch);
        curves.write(epoch);
        if (valid_loss < best) {  // the checkpoint keeps the best validation loss
            best = valid_loss;
            trainer.save(a.out, metadata);
        }
    }
    const double seconds = seconds_since(start);
    std::fprintf(stderr, "score: wrote %s after %.1fs\n", a.out.c_str(), seconds);
    if (a.json) {
        const nlohmann::ordered_json summary = {{"command", "score train"},
                                                {"model", a.out},
                                                {"dataset", a.dataset},
                                                {"loss", a.loss},
                                                {"epochs", trainer.epoch()},
                                                {"iterations", trainer.iterations()},
                                                {"valid_loss", best},
                                                {"rollbacks", trainer.events().size()},
                                                {"backend", to_string(ctx.backend())},
                                                {"ranks", ranks.size()},
                                                {"seconds", seconds}};
        std::printf("%s\n", summary.dump().c_str());
    }
    return 0;
}

// What a score checkpoint says about its training: the ladder, the conditioning, the data.
struct ScoreModel {
    MlpEnergy model;
    std::vector<float> sigmas;
    NoiseConditioning conditioning;
    std::string dataset;
    bool denoising;  // trained by DSM (else by a sliced loss: the score of the data itself)
};

ScoreModel score_model_from(const std::string& path, Device device) {
    const SafeTensors file = load_model_file(path, {ModelKind::Score});
    const std::string what = "score checkpoint " + path;
    if (metadata_at(file, "format", what) != "ebmkit-score") throw Error(what + ": not written by ebm score train");
    std::vector<float> sigmas;
    std::stringstream in(metadata_at(file, "sigmas", what));
    for (std::string item; std::getline(in, item, ',');) sigmas.push_back(std::stof(item));
    const auto conditioning = value_named<NoiseConditioning>(metadata_at(file, "conditioning", what));
    if (!conditioning) throw Error(what + ": unknown conditioning");
    return {read_mlp(file, device), sigmas, *conditioning, metadata_at(file, "dataset", what),
            metadata_at(file, "loss", what) == to_string(ScoreLoss::Denoising)};
}

int sample(const SampleOptions& a) {
    Context ctx(score_backend(a.backend), a.seed);
    const ScoreModel m = score_model_from(a.model, ctx.device());
    const bool images = m.dataset == fashion;
    AnnealedLangevinParams p;
    p.sigmas = m.sigmas;
    p.conditioning = m.conditioning;
    // Defaults: Song & Ermon's for a DSM ladder (images 2e-5, 2-D 1e-3, 100 steps a level,
    // Tweedie's step at the end); a sliced model's one level is plain Langevin on s(x),
    // 1000 steps of 1e-2 (stable while a / 2 |grad s| < 1).
    p.steps_per_level = a.steps_per_level > 0 ? a.steps_per_level : (m.denoising ? 100 : 1000);
    p.epsilon = static_cast<float>(a.epsilon > 0 ? a.epsilon : (!m.denoising ? 1e-2 : images ? 2e-5 : 1e-3));
    p.denoise = !a.no_denoise && m.denoising;
    const auto [lo, hi] = start_box(m.dataset);
    const std::int64_t d = m.model.input_dim();
    Tensor x({a.count, d});
    std::mt19937_64 rng(a.seed);
    std::uniform_real_distribution<float> u(lo, hi);
    for (std::int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = u(rng);
    x = x.to(ctx.device());
    Progress bar("annealed Langevin");
    const auto start = std::chrono::steady_clock::now();
    annealed_langevin(ctx, m.model, x, p);
    const Tensor out = x.to(Device::Host);
    nlohmann::ordered_json summary = {{"command", "score sample"},    {"model", a.model},
                                      {"count", a.count},             {"levels", p.sigmas.size()},
                                      {"steps_per_level", p.steps_per_level}, {"epsilon", p.epsilon},
                                      {"denoise", p.denoise}};
    if (images) {
        const auto side = static_cast<std::int64_t>(std::lround(std::sqrt(static_cast<double>(d))));
        write_png_grid(a.out, out, side, d / side, 8);
    } else {
        // A 200 x 200 histogram of the samples over [-4, 4]^2, darkest where densest.
        constexpr int n = 200;
        Tensor image = Tensor::zeros({1, n * n});
        const std::vector<float> s = out.to_vector<float>();
        for (std::int64_t r = 0; r < a.count; ++r) {
            const int i = static_cast<int>((4.0f - s[2 * r + 1]) / 8.0f * n), j = static_cast<int>((s[2 * r] + 4.0f) / 8.0f * n);
            if (i >= 0 && i < n && j >= 0 && j < n) image.data<float>()[i * n + j] += 1.0f;
        }
        const float top = *std::max_element(image.data<float>(), image.data<float>() + n * n);
        for (std::int64_t i = 0; i < n * n; ++i) image.data<float>()[i] = 1.0f - std::sqrt(image.data<float>()[i] / top);
        write_png_grid(a.out, image, n, n, 1);
        const ToyScore score = score_toy(*toy_named(m.dataset), out);
        summary["mean_log_density"] = score.mean_log_density;
        summary["total_variation"] = score.total_variation;
        std::fprintf(stderr, "score sample: mean log density %.4f, histogram total variation %.4f\n",
                     score.mean_log_density, score.total_variation);
        if (!a.csv.empty()) {
            std::ofstream file(a.csv);
            if (!file) throw Error("cannot write " + a.csv);
            file << "x,y\n";
            for (std::int64_t r = 0; r < a.count; ++r) file << s[2 * r] << ',' << s[2 * r + 1] << '\n';
        }
    }
    summary["seconds"] = seconds_since(start);
    bar.finish("wrote " + a.out);
    if (a.json) std::printf("%s\n", summary.dump().c_str());
    return 0;
}

int denoise(const DenoiseOptions& a) {
    Context ctx(score_backend(a.backend), a.seed);
    const ScoreModel m = score_model_from(a.model, ctx.device());
    if (m.dataset != fashion) throw UsageError{"score denoise: the model was trained on " + m.dataset + ", not images"};
    const ImageSet test = load_fashion_mnist(a.data, "test");
    const std::int64_t n = std::min(a.count, test.size()), d = test.images.dim(1), side = test.height;
    const Tensor clean = rows_of(test.images, 0, n);
    Tensor noisy = clean.clone();
    std::mt19937_64 rng(a.seed);
    std::normal_distribution<float> z;
    for (std::int64_t i = 0; i < noisy.numel(); ++i) noisy.data<float>()[i] += static_cast<float>(a.sigma) * z(rng);
    Tensor x = noisy.to(ctx.device());
    Progress bar("denoising");
    tweedie_denoise(ctx, m.model, x, static_cast<float>(a.sigma), m.conditioning);
    const Tensor denoised = x.to(Device::Host);
    const double noisy_psnr = psnr(noisy, clean), denoised_psnr = psnr(denoised, clean);
    const double median_psnr = psnr(median_filter_3x3(noisy, side, side), clean);
    const double gaussian_psnr = psnr(gaussian_filter_3x3(noisy, side, side), clean);
    write_three_rows(a.out, noisy, denoised, clean, side, d / side);
    char line[200];
    std::snprintf(line, sizeof line, "PSNR at sigma %g: noisy %.2f dB, Tweedie %.2f dB, median 3x3 %.2f dB, Gaussian 3x3 %.2f dB",
                  a.sigma, noisy_psnr, denoised_psnr, median_psnr, gaussian_psnr);
    bar.finish(line);
    if (a.json) {
        const nlohmann::ordered_json summary = {{"command", "score denoise"}, {"model", a.model},
                                                {"sigma", a.sigma},           {"images", n},
                                                {"psnr_noisy", noisy_psnr},   {"psnr_denoised", denoised_psnr},
                                                {"psnr_median", median_psnr}, {"psnr_gaussian", gaussian_psnr}};
        std::printf("%s\n", summary.dump().c_str());
    }
    return 0;
}

}  // namespace

void add_score_commands(Cli& cli, CLI::App& score) {
    const CLI::Validator positive = at_least(1), at_least_zero = at_least(0);
    {
        auto a = std::make_shared<TrainOptions>();
        CLI::App* c = score.add_subcommand("train", "Train an energy by denoising or sliced score matching");
        c->add_option("--dataset", a->dataset, "Fashion-MNIST or a 2-D density")->check(CLI::IsMember(dataset_names()));
        c->add_option("--data", a->data, "Fashion-MNIST folder (IDX files, gzip or plain)");
        c->add_option("--samples", a->samples, "Rows drawn from a 2-D density")->check(positive);
        c->add_option("--train-limit", a->train_limit, "Train on the first N images (0: all)")->check(at_least_zero);
        c->add_option("--valid", a->valid, "Validation rows (test images, or fresh draws of a 2-D density)")
            ->check(positive);
        c->add_option("--widths", a->widths, "Layer widths, input first (default 784,256,256,1 or 2,128,128,1)")
            ->check(widths_check());
        c->add_option("--activation", a->activation, "Hidden activation")
            ->check(CLI::IsMember(names_of<ActivationKind>()));
        c->add_option("--loss", a->loss, "Denoising (dsm) or sliced score matching (ssm, ssm_vr)")
            ->check(CLI::IsMember(names_of<ScoreLoss>()));
        c->add_option("--sigma-max", a->sigma_max, "Largest noise level (default 1 for images, 2 for 2-D)")
            ->check(CLI::PositiveNumber);
        c->add_option("--sigma-min", a->sigma_min, "Smallest noise level (default 0.01 for images, 0.05 for 2-D)")
            ->check(CLI::PositiveNumber);
        c->add_option("--levels", a->levels, "Noise levels, geometric from --sigma-max to --sigma-min (1: DSM at --sigma-max)")
            ->check(positive);
        c->add_option("--conditioning", a->conditioning, "How the level enters the score")
            ->check(CLI::IsMember(names_of<NoiseConditioning>()));
        c->add_flag("--no-sigma-weight", a->no_sigma_weight, "Weight every level's loss 1, not sigma^2");
        c->add_option("--projection", a->projection, "The sliced losses' projections")
            ->check(CLI::IsMember(names_of<Projection>()));
        c->add_option("--epochs", a->epochs, "Epochs")->check(positive);
        c->add_option("--batch", a->batch, "Rows per step")->check(positive);
        c->add_option("--optimizer", a->optimizer, "Optimizer")->check(CLI::IsMember(names_of<OptimizerKind>()));
        c->add_option("--lr", a->lr, "Learning rate")->check(finite());
        c->add_option("--seed", a->seed, "Seed of initialisation, data, shuffling and noise")->check(at_least_zero);
        add_backend_option(*c, a->backend);
        c->add_option("--out", a->out, "Checkpoint to write (the best validation epoch)");
        c->add_option("--curves", a->curves, "Per-epoch curves as CSV to FILE, drawn to FILE.png");
        add_train_run_options(*c, a->resume, a->log, a->json);
        cli.add(c, [c, a] { return train(*c, *a); });
    }
    {
        auto a = std::make_shared<SampleOptions>();
        CLI::App* c = score.add_subcommand("sample", "Annealed Langevin samples of a trained score model");
        c->add_option("--model", a->model, "Score checkpoint")->required()->check(CLI::ExistingFile);
        c->add_option("--count", a->count, "Samples")->check(positive);
        c->add_option("--steps-per-level", a->steps_per_level, "Langevin steps at each noise level (default 100; 1000 for a sliced model)")
            ->check(positive);
        c->add_option("--epsilon", a->epsilon, "Step at the smallest level (default 2e-5 for images, 1e-3 for 2-D; 1e-2 for a sliced model)")
            ->check(CLI::PositiveNumber);
        c->add_flag("--no-denoise", a->no_denoise, "Skip the final Tweedie step (a sliced model takes none)");
        c->add_option("--seed", a->seed, "Seed of the starts and the chains")->check(at_least_zero);
        add_backend_option(*c, a->backend);
        c->add_option("--out", a->out, "PNG to write: an image grid, or a 2-D density's histogram");
        c->add_option("--csv", a->csv, "2-D samples as CSV to FILE");
        c->add_flag("--json", a->json, "Print a JSON summary (2-D: mean log density, histogram distance)");
        cli.add(c, [a] { return sample(*a); });
    }
    {
        auto a = std::make_shared<DenoiseOptions>();
        CLI::App* c = score.add_subcommand("denoise", "Tweedie denoising of noisy Fashion-MNIST test images, with PSNR");
        c->add_option("--model", a->model, "Score checkpoint trained on images")->required()->check(CLI::ExistingFile);
        c->add_option("--data", a->data, "Fashion-MNIST folder");
        c->add_option("--sigma", a->sigma, "Noise level added to the images")->check(CLI::PositiveNumber);
        c->add_option("--count", a->count, "Test images the PSNR is over")->check(positive);
        c->add_option("--seed", a->seed, "Seed of the noise")->check(at_least_zero);
        add_backend_option(*c, a->backend);
        c->add_option("--out", a->out, "PNG grid: noisy | denoised | clean rows");
        c->add_flag("--json", a->json, "Print a JSON summary on stdout");
        cli.add(c, [a] { return denoise(*a); });
    }
}

}  // namespace ebm
