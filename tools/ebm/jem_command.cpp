// ebm jem train | eval | sample.
#include <chrono>
#include <cmath>
#include <random>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "config.hpp"
#include "ebmkit/ebmkit.hpp"
#include "epoch_log.hpp"
#include "interrupt.hpp"
#include "mlp_options.hpp"
#include "ranks.hpp"
#include "plot/curves.hpp"
#include "report.hpp"
#include "restore_report.hpp"

namespace ebm {

namespace {

using namespace ebmkit;

// Images scaled to [-1, 1] (the first `limit` when limit > 0) and their labels.
std::pair<Tensor, Tensor> scaled(const ImageSet& set, std::int64_t limit) {
    const std::int64_t n = limit > 0 ? std::min(limit, set.size()) : set.size(), d = set.images.dim(1);
    Tensor images({n, d});
    for (std::int64_t i = 0; i < n * d; ++i) images.data<float>()[i] = 2.0f * set.images.data<float>()[i] - 1.0f;
    Tensor labels({n}, DType::I32);
    std::copy_n(set.labels.data<std::int32_t>(), n, labels.data<std::int32_t>());
    return {std::move(images), std::move(labels)};
}

// The rows of the given classes, relabelled by their index (all rows when classes is empty).
std::pair<Tensor, Tensor> of_classes(std::pair<Tensor, Tensor> set, const std::vector<int>& classes) {
    if (classes.empty()) return set;
    LabelledRows r = rows_of_classes(set.first, set.second, classes, true);
    return {std::move(r.images), std::move(r.labels)};
}

// The classes a checkpoint was trained on ("classes" metadata), empty for all.
std::vector<int> classes_of(const std::string& path) {
    const SafeTensors file = load_safetensors(path);
    const auto it = file.metadata.find("classes");
    if (it == file.metadata.end()) return {};
    const std::vector<std::int64_t> v = split_integers(it->second, path + " (classes)");
    return {v.begin(), v.end()};
}

// count chains from uniform noise, `steps` SGLD steps each; with per_class, row r of
// the grid (8 columns) samples class r from E(x, y).
void write_sample_grid(Context& ctx, const MlpEnergy& model, std::int64_t count, std::uint32_t steps, bool per_class,
                       const std::string& out) {
    SamplerOptions o;
    o.start = ChainStart::Uniform;
    o.steps = steps;
    LangevinSampler sampler(ctx, model.input_dim(), o);
    Tensor labels;
    if (per_class) {
        count = 8 * model.num_outputs();
        std::vector<std::int32_t> y(static_cast<std::size_t>(count));
        for (std::int64_t i = 0; i < count; ++i) y[i] = static_cast<std::int32_t>(i / 8);
        labels = Tensor::from(y, {count}).to(ctx.device());
    }
    const Tensor x = sampler.sample(model, count, {}, labels);
    Tensor unit({count, model.input_dim()});
    copy(x, unit);
    for (std::int64_t i = 0; i < unit.numel(); ++i) unit.data<float>()[i] = (unit.data<float>()[i] + 1.0f) / 2.0f;
    const auto side = static_cast<std::int64_t>(std::lround(std::sqrt(static_cast<double>(model.input_dim()))));
    const bool square = side * side == model.input_dim();
    write_png_grid(out, unit, square ? side : 1, square ? side : model.input_dim(), 8);
}

struct TrainOptions {
    std::string data = default_fashion_mnist_dir(), widths = "784,256,256,10", activation = "elu";
    std::string optimizer = "adamax", backend = "auto", out = "jem.safetensors", curves, resume, log;
    std::int64_t epochs = 1, batch = 64, buffer = 10000, train_limit = 0, valid = 5000, patience = 0;
    std::uint32_t sgld_steps = 20;
    double lr = 1e-3, weight_decay = 0.0, sgld_alpha = 1.0, sgld_sigma = 0.01, reinit = 0.05;
    double clf_weight = 1.0, gen_weight = 1.0, energy_l2 = 0.0;
    std::uint64_t seed = 0;
    bool class_conditional = false, json = false;
    std::vector<int> classes;  // empty: every class
};

struct EvalOptions {
    std::string model, data = default_fashion_mnist_dir(), backend = "auto";
    bool json = false;
};

struct InpaintOptions {
    InpaintRun run;
    double alpha = 1.0, sigma = 0.01;
    std::int64_t steps = 200;
    bool conditional = false;
};

struct DenoiseOptions {
    std::string model, data = default_fashion_mnist_dir(), backend = "auto", out = "jem-denoise.png";
    double sigma = 0.1, alpha = 1.0;
    std::int64_t count = 1000, steps = 5;
    std::uint64_t seed = 0;
    bool json = false;
};

struct SampleOptions {
    std::string model, backend = "auto", out = "jem-samples.png";
    std::int64_t count = 64, steps = 200;
    std::uint64_t seed = 0;
    bool per_class = false;
};

int train(CLI::App& command, TrainOptions& a) {
    apply_config(command);
    const auto widths = widths_of(a.widths);
    const Activation act = activation_of(a.activation);
    JemTrainOptions o;
    o.batch = a.batch;
    o.optimizer.kind = optimizer_of(a.optimizer);
    o.optimizer.lr = static_cast<float>(a.lr);
    o.optimizer.weight_decay = static_cast<float>(a.weight_decay);
    o.sampler.steps = a.sgld_steps;
    o.sampler.step.alpha = static_cast<float>(a.sgld_alpha);
    o.sampler.step.sigma = static_cast<float>(a.sgld_sigma);
    o.sampler.buffer_size = a.buffer;
    // --buffer 0: every chain starts from uniform noise in the clamp box.
    if (a.buffer == 0) o.sampler.start = ChainStart::Uniform;
    o.sampler.reinit = static_cast<float>(a.reinit);
    o.classifier_weight = static_cast<float>(a.clf_weight);
    o.generative_weight = static_cast<float>(a.gen_weight);
    o.energy_l2 = static_cast<float>(a.energy_l2);
    o.class_conditional = a.class_conditional;

    if (!a.classes.empty() && static_cast<std::size_t>(widths.back()) != a.classes.size()) {
        throw UsageError{"--classes: " + std::to_string(a.classes.size()) + " classes need " +
                         std::to_string(a.classes.size()) + " outputs, but --widths ends in " + std::to_string(widths.back())};
    }
    const auto start = std::chrono::steady_clock::now();
    // The last `valid` training images are held out for validation and early stopping.
    const auto [all_images, all_labels] = of_classes(scaled(load_fashion_mnist(a.data, "train"), a.train_limit), a.classes);
    const std::int64_t held = std::min(a.valid, all_images.dim(0) / 2), kept = all_images.dim(0) - held;
    const std::int64_t d = all_images.dim(1);
    auto rows = [&](const Tensor& t, std::int64_t from, std::int64_t count) {
        Tensor out = t.rank() == 2 ? Tensor({count, d}) : Tensor({count}, DType::I32);
        copy(t.rank() == 2 ? ConstTensorView(t.data<float>() + from * d, {count, d}, DType::F32, Device::Host)
                           : ConstTensorView(t.data<std::int32_t>() + from, {count}, DType::I32, Device::Host),
             out);
        return out;
    };
    const Tensor images = rows(all_images, 0, kept), labels = rows(all_labels, 0, kept);
    const Tensor valid_images = held ? rows(all_images, kept, held) : Tensor();
    const Tensor valid_labels = held ? rows(all_labels, kept, held) : Tensor();
    const auto [test_images, test_labels] = of_classes(scaled(load_fashion_mnist(a.data, "test"), 0), a.classes);
    Context ctx(backend_of(a.backend), a.seed);
    const Ranks ranks(ctx);  // mpirun -np N: data parallel, rank 0 writes
    ranks.check_split("jem train", "--batch", o.batch);
    if (o.generative_weight > 0) ranks.check_split("jem train", "--buffer", o.sampler.buffer_size);
    MlpEnergy model(widths, act);
    model.init_uniform(a.seed);
    model = model.to(ctx.device());
    JemTrainer trainer(ctx, model, o, ranks.comm());
    if (!a.resume.empty()) trainer.load(a.resume);
    std::map<std::string, std::string> metadata = {{config_key, recorded_config(command)}};
    if (!a.classes.empty()) metadata["classes"] = join_integers({a.classes.begin(), a.classes.end()});
    CurvesFile curves(ranks.lead() ? a.curves : "",
                      {"epoch", "loss", "cross_entropy", "energy_data", "energy_sample", "train_accuracy", "valid_accuracy"},
                      "jem");
    EpochLog log(ranks.lead() ? a.log : "", !a.resume.empty());
    std::fprintf(stderr, "jem: %s %s, %lld images, batch %lld, %u SGLD steps, backend %s%s\n", a.widths.c_str(),
                 to_string(act.kind), static_cast<long long>(images.dim(0)), static_cast<long long>(o.batch),
                 o.sampler.steps, to_string(ctx.backend()), ranks.batch_split(o.batch).c_str());
    double best = -1.0;
    std::int64_t since_best = 0;
    const StopOnSignal stop;  // SIGINT / SIGTERM: finish the batch, write a resumable checkpoint
    for (std::int64_t e = 0; e < a.epochs; ++e) {
        Progress bar("epoch " + std::to_string(trainer.epoch() + 1));
        const std::size_t events_before = trainer.events().size();
        const JemStepStats s = trainer.train_epoch(
            images, labels, [&](std::int64_t d, std::int64_t t, const JemStepStats&) { bar.update(d, t); }, &stop.flag());
        if (s.interrupted) {
            return stop_for_signal(stop, bar, "jem",
                                   "after " + std::to_string(trainer.iterations()) + " iterations (epoch " +
                                       std::to_string(trainer.epoch() + 1) + ", batch " +
                                       std::to_string(trainer.batch_in_epoch()) + ")",
                                   a.out, [&](const std::string& path) { trainer.save(path, metadata); });
        }
        for (std::size_t i = events_before; i < trainer.events().size(); ++i) {
            std::fprintf(stderr, "jem: %s\n", trainer.events()[i].c_str());
        }
        const double accuracy = held ? trainer.evaluate(valid_images, valid_labels).accuracy : s.accuracy;
        char line[200];
        std::snprintf(line, sizeof line, "loss %.4f, CE %.4f, E(data) %.3f, E(sample) %.3f, train acc %.4f, valid acc %.4f",
                      s.loss, s.cross_entropy, s.energy_data, s.energy_sample, s.accuracy, accuracy);
        bar.finish(line);
        const nlohmann::ordered_json epoch = {{"epoch", trainer.epoch()},
                                              {"iterations", trainer.iterations()},
                                              {"loss", s.loss},
                                              {"cross_entropy", s.cross_entropy},
                                              {"generative", s.energy_data - s.energy_sample},
                                              {"energy_data", s.energy_data},
                                              {"energy_sample", s.energy_sample},
                                              {"train_accuracy", s.accuracy},
                                              {"valid_accuracy", accuracy},
                                              {"seconds", seconds_since(start)}};
        log.write(epoch);
        curves.write(epoch);
        // The checkpoint keeps the best validation accuracy; patience epochs without a gain stop training.
        if (accuracy > best) {
            best = accuracy;
            since_best = 0;
            trainer.save(a.out, metadata);
        } else if (a.patience > 0 && ++since_best >= a.patience) {
            std::fprintf(stderr, "jem: no gain in validation accuracy for %lld epochs; stopping\n",
                         static_cast<long long>(a.patience));
            break;
        }
    }
    trainer.load(a.out);
    const JemEvaluation ev = trainer.evaluate(test_images, test_labels);
    const double seconds = seconds_since(start);
    std::fprintf(stderr, "jem: wrote %s after %.1fs\n", a.out.c_str(), seconds);
    if (a.json) {
        const nlohmann::ordered_json summary = {{"command", "jem train"},
                                                {"model", a.out},
                                                {"epochs", trainer.epoch()},
                                                {"iterations", trainer.iterations()},
                                                {"train_images", images.dim(0)},
                                                {"valid_accuracy", best},
                                                {"test_accuracy", ev.accuracy},
                                                {"test_calibration_error", ev.calibration_error},
                                                {"rollbacks", trainer.events().size()},
                                                {"backend", to_string(ctx.backend())},
                                                {"ranks", ranks.size()},
                                                {"seconds", seconds}};
        std::printf("%s\n", summary.dump().c_str());
    }
    return 0;
}

int eval(const EvalOptions& a) {
    Context ctx(backend_of(a.backend));
    MlpEnergy model = model_from(a.model, ctx.device());
    const auto [images, labels] = of_classes(scaled(load_fashion_mnist(a.data, "test"), 0), classes_of(a.model));
    JemTrainOptions o;
    o.generative_weight = 0;  // evaluation only: no sampler buffer
    JemTrainer trainer(ctx, model, o);
    const JemEvaluation ev = trainer.evaluate(images, labels);
    std::fprintf(stderr, "jem eval: test accuracy %.4f, mean energy %.4f, calibration error %.4f, %lld images\n",
                 ev.accuracy, ev.mean_energy, ev.calibration_error, static_cast<long long>(images.dim(0)));
    if (a.json) {
        const nlohmann::ordered_json summary = {{"command", "jem eval"},
                                                {"model", a.model},
                                                {"test_accuracy", ev.accuracy},
                                                {"test_mean_energy", ev.mean_energy},
                                                {"test_calibration_error", ev.calibration_error},
                                                {"backend", to_string(ctx.backend())}};
        std::printf("%s\n", summary.dump().c_str());
    }
    return 0;
}

// SGLD on the missing pixels only (langevin_chain's clamp), from uniform noise there, on
// E(x) or, with --conditional, on E(x, y) of each image's true class; scored in [0, 1]
// on the missing pixels beside the mean and the nearest training image.
int inpaint(const InpaintOptions& options) {
    const InpaintRun& a = options.run;
    Context ctx(backend_of(a.backend), a.seed);
    const MlpEnergy model = model_from(a.model, ctx.device());
    const std::vector<int> classes = classes_of(a.model);
    const ImageSet test_set = load_fashion_mnist(a.data, "test");
    auto [images, labels] = of_classes(scaled(test_set, 0), classes);
    const std::int64_t n = std::min(a.count, images.dim(0)), d = images.dim(1);
    if (d != model.input_dim()) throw UsageError{"jem inpaint: the model takes " + std::to_string(model.input_dim()) + " inputs"};
    const Tensor mask = make_mask(*value_named<MaskKind>(a.mask), n, test_set.height, test_set.width, a.rate, a.seed);
    Tensor truth({n, d}), x({n, d});
    std::mt19937_64 rng(a.seed);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    for (std::int64_t e = 0; e < n * d; ++e) {
        truth.data<float>()[e] = (images.data<float>()[e] + 1.0f) / 2.0f;  // [0, 1] for the metrics
        x.data<float>()[e] = mask.data<float>()[e] != 0.0f ? images.data<float>()[e] : u(rng);
    }
    Tensor xs = x.to(ctx.device());
    const Tensor clamp = mask.to(ctx.device());
    Tensor y;
    if (options.conditional) {
        y = Tensor({n}, DType::I32);
        std::copy_n(labels.data<std::int32_t>(), n, y.data<std::int32_t>());
        y = y.to(ctx.device());
    }
    LangevinParams p;
    p.alpha = static_cast<float>(options.alpha);
    p.sigma = static_cast<float>(options.sigma);
    p.clamp = true;  // JEM's box, [-1, 1]
    Progress bar("jem inpaint");
    langevin_chain(ctx, model, options.conditional ? ConstTensorView(y) : ConstTensorView(), xs, p,
                   Steps{0, static_cast<std::uint32_t>(options.steps)}, clamp);
    Tensor restored({n, d});
    copy(xs, restored);
    for (std::int64_t e = 0; e < n * d; ++e) restored.data<float>()[e] = (restored.data<float>()[e] + 1.0f) / 2.0f;
    const ImageSet train_set = load_fashion_mnist(a.data, "train");
    const std::int64_t m = std::min(a.neighbours, train_set.size());
    Tensor training({m, d});
    copy(ConstTensorView(train_set.images.data<float>(), {m, d}, DType::F32, Device::Host), training);
    const InpaintScores scores = score_inpainting(restored, truth, mask, training);
    write_three_rows(a.out, corrupted_view(truth, mask), restored, truth, test_set.height, test_set.width);
    char line[200];
    std::snprintf(line, sizeof line, "%s mask, %lld images: MSE %.4f (mean image %.4f, nearest image %.4f)",
                  a.mask.c_str(), static_cast<long long>(n), scores.model.mse, scores.mean_image.mse,
                  scores.nearest_image.mse);
    bar.finish(line);
    if (a.json) {
        const nlohmann::ordered_json summary = {
            {"command", "jem inpaint"}, {"model", a.model}, {"mask", a.mask}, {"rate", a.rate}, {"images", n},
            {"steps", options.steps}, {"conditional", options.conditional}, {"missing_pixels", scores.model.missing},
            {"mse", scores.model.mse}, {"mean_image_mse", scores.mean_image.mse},
            {"nearest_image_mse", scores.nearest_image.mse}, {"neighbours", m}};
        std::printf("%s\n", summary.dump().c_str());
    }
    return 0;
}

// Gaussian noise of sd sigma on test images in [0, 1], then a few noise-free Langevin
// steps x <- clamp(x - alpha grad_x E(x)) from the noisy image (in JEM's [-1, 1]): PSNR
// against the noisy input and the 3 x 3 median and Gaussian filters.
int denoise(const DenoiseOptions& a) {
    Context ctx(backend_of(a.backend), a.seed);
    const MlpEnergy model = model_from(a.model, ctx.device());
    const ImageSet test = load_fashion_mnist(a.data, "test");
    const std::int64_t n = std::min(a.count, test.size()), d = test.images.dim(1);
    if (d != model.input_dim()) throw UsageError{"jem denoise: the model takes " + std::to_string(model.input_dim()) + " inputs"};
    Tensor clean({n, d});
    copy(ConstTensorView(test.images.data<float>(), {n, d}, DType::F32, Device::Host), clean);
    Tensor noisy = clean.clone(), x({n, d});
    std::mt19937_64 rng(a.seed);
    std::normal_distribution<float> z;
    for (std::int64_t e = 0; e < n * d; ++e) {
        noisy.data<float>()[e] += static_cast<float>(a.sigma) * z(rng);
        x.data<float>()[e] = std::clamp(2.0f * noisy.data<float>()[e] - 1.0f, -1.0f, 1.0f);
    }
    Tensor xs = x.to(ctx.device());
    LangevinParams p;
    p.alpha = static_cast<float>(a.alpha);
    p.sigma = 0.0f;
    p.clamp = true;
    Progress bar("jem denoise");
    langevin_chain(ctx, model, xs, p, Steps{0, static_cast<std::uint32_t>(a.steps)});
    Tensor denoised = xs.to(Device::Host);
    for (std::int64_t e = 0; e < n * d; ++e) denoised.data<float>()[e] = (denoised.data<float>()[e] + 1.0f) / 2.0f;
    const double noisy_psnr = psnr(noisy, clean), denoised_psnr = psnr(denoised, clean);
    const double median_psnr = psnr(median_filter_3x3(noisy, test.height, test.width), clean);
    const double gaussian_psnr = psnr(gaussian_filter_3x3(noisy, test.height, test.width), clean);
    write_three_rows(a.out, noisy, denoised, clean, test.height, test.width);
    char line[200];
    std::snprintf(line, sizeof line, "PSNR at sigma %g: noisy %.2f dB, %lld steps %.2f dB, median 3x3 %.2f dB, Gaussian 3x3 %.2f dB",
                  a.sigma, noisy_psnr, static_cast<long long>(a.steps), denoised_psnr, median_psnr, gaussian_psnr);
    bar.finish(line);
    if (a.json) {
        const nlohmann::ordered_json summary = {{"command", "jem denoise"}, {"model", a.model},
                                                {"sigma", a.sigma},           {"steps", a.steps},
                                                {"alpha", a.alpha},           {"images", n},
                                                {"psnr_noisy", noisy_psnr},   {"psnr_denoised", denoised_psnr},
                                                {"psnr_median", median_psnr}, {"psnr_gaussian", gaussian_psnr}};
        std::printf("%s\n", summary.dump().c_str());
    }
    return 0;
}

int sample(const SampleOptions& a) {
    Context ctx(backend_of(a.backend), a.seed);
    const MlpEnergy model = model_from(a.model, ctx.device());
    Progress bar("sampling");
    write_sample_grid(ctx, model, a.count, static_cast<std::uint32_t>(a.steps), a.per_class, a.out);
    bar.finish("wrote " + a.out);
    return 0;
}

}  // namespace

void add_jem_commands(Cli& cli, CLI::App& jem) {
    const CLI::Validator positive = at_least(1), at_least_zero = at_least(0);
    {
        auto a = std::make_shared<TrainOptions>();
        CLI::App* c = jem.add_subcommand("train", "Train a JEM on Fashion-MNIST: cross-entropy plus SGLD contrastive loss");
        c->add_option("--data", a->data, "Fashion-MNIST folder (IDX files, gzip or plain)");
        c->add_option("--widths", a->widths, "Layer widths, input first, classes last")->check(widths_check());
        c->add_option("--activation", a->activation, "Hidden activation")
            ->check(CLI::IsMember(names_of<ActivationKind>()));
        c->add_option("--epochs", a->epochs, "Epochs (at most; see --patience)")->check(positive);
        c->add_option("--batch", a->batch, "Images per iteration")->check(positive);
        c->add_option("--optimizer", a->optimizer, "Optimizer")->check(CLI::IsMember(names_of<OptimizerKind>()));
        c->add_option("--lr", a->lr, "Learning rate")->check(finite());
        c->add_option("--weight-decay", a->weight_decay, "L2 weight decay")->check(finite());
        c->add_option("--sgld-steps", a->sgld_steps, "SGLD steps per iteration")->check(positive);
        c->add_option("--sgld-alpha", a->sgld_alpha, "SGLD step size on the energy gradient")->check(finite());
        c->add_option("--sgld-sigma", a->sgld_sigma, "SGLD noise standard deviation")->check(finite());
        c->add_option("--buffer", a->buffer, "Replay buffer size (0: chains from noise each time)")->check(at_least_zero);
        c->add_option("--reinit", a->reinit, "Fraction of chains restarted from noise")->check(CLI::Range(0.0, 1.0));
        c->add_option("--clf-weight", a->clf_weight, "Weight of the cross-entropy term")->check(finite());
        c->add_option("--gen-weight", a->gen_weight, "Weight of the generative term E(data) - E(sample)")->check(finite());
        c->add_option("--energy-l2", a->energy_l2, "Weight of the energy-magnitude penalty")->check(finite());
        c->add_flag("--class-conditional", a->class_conditional, "Sample each chain from E(x, y) of a random class y");
        c->add_option("--classes", a->classes,
                      "Train on these classes only (labels relabelled 0 ..; `jem ood` holds the others out)")
            ->delimiter(',')
            ->check(CLI::Range(0, 255));
        c->add_option("--train-limit", a->train_limit, "Train on the first N images (0: all)")->check(at_least_zero);
        c->add_option("--valid", a->valid, "Training images held out for validation and early stopping")
            ->check(at_least_zero);
        c->add_option("--patience", a->patience, "Stop after P epochs without a validation gain (0: never)")
            ->check(at_least_zero);
        c->add_option("--seed", a->seed, "Seed of initialisation, shuffling and sampling")->check(at_least_zero);
        add_backend_option(*c, a->backend);
        c->add_option("--out", a->out, "Checkpoint to write (the best validation epoch)");
        c->add_option("--curves", a->curves, "Per-epoch curves as CSV to FILE, drawn to FILE.png");
        add_train_run_options(*c, a->resume, a->log, a->json);
        cli.add(c, [c, a] { return train(*c, *a); });
    }
    {
        auto a = std::make_shared<EvalOptions>();
        CLI::App* c = jem.add_subcommand("eval", "Test accuracy, mean energy and calibration of a trained JEM");
        c->add_option("--model", a->model, "JEM checkpoint")->required()->check(CLI::ExistingFile);
        c->add_option("--data", a->data, "Fashion-MNIST folder");
        add_backend_option(*c, a->backend);
        c->add_flag("--json", a->json, "Print a JSON summary on stdout");
        cli.add(c, [a] { return eval(*a); });
    }
    {
        auto dn = std::make_shared<DenoiseOptions>();
        CLI::App* c = jem.add_subcommand("denoise", "Denoise noisy test images by a few noise-free Langevin steps, with PSNR");
        c->add_option("--model", dn->model, "JEM checkpoint")->required()->check(CLI::ExistingFile);
        c->add_option("--data", dn->data, "Fashion-MNIST folder");
        c->add_option("--sigma", dn->sigma, "Noise standard deviation on pixels in [0, 1]")->check(CLI::PositiveNumber);
        c->add_option("--steps", dn->steps, "Noise-free Langevin steps")->check(positive);
        c->add_option("--alpha", dn->alpha, "Step size on the energy gradient")->check(CLI::PositiveNumber);
        c->add_option("--count", dn->count, "Test images")->check(positive);
        c->add_option("--seed", dn->seed, "Seed of the noise")->check(at_least_zero);
        add_backend_option(*c, dn->backend);
        c->add_option("--out", dn->out, "PNG grid: noisy | denoised | clean rows");
        c->add_flag("--json", dn->json, "Print a JSON summary on stdout");
        cli.add(c, [dn] { return denoise(*dn); });
    }
    {
        auto in = std::make_shared<InpaintOptions>();
        CLI::App* c = jem.add_subcommand("inpaint", "Restore masked test images by SGLD on the missing pixels only");
        add_inpaint_options(*c, in->run, "JEM", "jem-inpaint.png");
        c->add_option("--steps", in->steps, "SGLD steps")->check(positive);
        c->add_option("--alpha", in->alpha, "SGLD step size on the energy gradient")->check(CLI::PositiveNumber);
        c->add_option("--sigma", in->sigma, "SGLD noise standard deviation")->check(CLI::NonNegativeNumber);
        c->add_flag("--conditional", in->conditional, "Sample from E(x, y) of each image's true class");
        cli.add(c, [in] { return inpaint(*in); });
    }
    {
        auto a = std::make_shared<SampleOptions>();
        CLI::App* c = jem.add_subcommand("sample", "SGLD samples of a trained JEM from uniform noise, as a PNG grid");
        c->add_option("--model", a->model, "JEM checkpoint")->required()->check(CLI::ExistingFile);
        CLI::Option* count = c->add_option("--count", a->count, "Samples")->check(positive);
        CLI::Option* per_class = c->add_flag("--per-class", a->per_class, "One row of 8 samples per class, from E(x, y)");
        count->excludes(per_class);
        c->add_option("--steps", a->steps, "SGLD steps per chain")->check(positive);
        c->add_option("--seed", a->seed, "Seed of the chains")->check(at_least_zero);
        add_backend_option(*c, a->backend);
        c->add_option("--out", a->out, "PNG to write");
        cli.add(c, [a] { return sample(*a); });
    }
}

}  // namespace ebm
