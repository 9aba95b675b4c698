// ebm jem train | eval | sample.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "args.hpp"
#include "commands.hpp"
#include "interrupt.hpp"
#include "ebmkit/ebmkit.hpp"
#include "report.hpp"

namespace ebm {

namespace {

using namespace ebmkit;

Activation activation_of(const std::string& name) {
    for (ActivationKind k : {ActivationKind::Relu, ActivationKind::LeakyRelu, ActivationKind::Elu, ActivationKind::Silu,
                             ActivationKind::Tanh, ActivationKind::Softplus}) {
        if (name == to_string(k)) return {k};  // the library's default leaky slope (0.01, as PyTorch)
    }
    throw UsageError{"--activation must be relu, leaky_relu, elu, silu, tanh or softplus, got '" + name + "'"};
}

std::vector<std::int64_t> widths_of(const std::string& text) {
    std::vector<std::int64_t> w;
    std::stringstream in(text);
    for (std::string item; std::getline(in, item, ',');) {
        try {
            w.push_back(std::stoll(item));
        } catch (...) {
            throw UsageError{"--widths needs comma-separated integers, got '" + text + "'"};
        }
    }
    return w;
}

OptimizerKind optimizer_of(const std::string& name) {
    for (OptimizerKind k : {OptimizerKind::Sgd, OptimizerKind::Adam, OptimizerKind::Adamax}) {
        if (name == to_string(k)) return k;
    }
    throw UsageError{"--optimizer must be sgd, adam or adamax, got '" + name + "'"};
}

// Images scaled to [-1, 1] (the first `limit` when limit > 0) and their labels.
std::pair<Tensor, Tensor> scaled(const ImageSet& set, std::int64_t limit) {
    const std::int64_t n = limit > 0 ? std::min(limit, set.size()) : set.size(), d = set.images.dim(1);
    Tensor images({n, d});
    for (std::int64_t i = 0; i < n * d; ++i) images.data<float>()[i] = 2.0f * set.images.data<float>()[i] - 1.0f;
    Tensor labels({n}, DType::I32);
    std::copy_n(set.labels.data<std::int32_t>(), n, labels.data<std::int32_t>());
    return {std::move(images), std::move(labels)};
}

// The checkpoint's model (its widths and activation from the metadata), for eval and sample.
MlpEnergy model_from(const std::string& path, Device device) { return read_mlp(load_safetensors(path), device); }

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

}  // namespace

int jem_train(const std::vector<std::string>& argv) {
    Args args(argv, {"json", "class-conditional"});
    const std::string dir = args.text("data", default_fashion_mnist_dir());
    const std::string widths_text = args.text("widths", "784,256,256,10");
    const auto widths = widths_of(widths_text);
    const Activation act = activation_of(args.text("activation", "elu"));
    const std::int64_t epochs = args.integer("epochs", 1);
    JemTrainOptions o;
    o.batch = args.integer("batch", 64);
    o.optimizer.kind = optimizer_of(args.text("optimizer", "adamax"));
    o.optimizer.lr = static_cast<float>(args.number("lr", 1e-3));
    o.optimizer.weight_decay = static_cast<float>(args.number("weight-decay", 0.0));
    o.sampler.steps = static_cast<std::uint32_t>(args.integer("sgld-steps", 20));
    o.sampler.step.alpha = static_cast<float>(args.number("sgld-alpha", 1.0));
    o.sampler.step.sigma = static_cast<float>(args.number("sgld-sigma", 0.01));
    o.sampler.buffer_size = args.integer("buffer", 10000);
    o.sampler.reinit = static_cast<float>(args.number("reinit", 0.05));
    o.classifier_weight = static_cast<float>(args.number("clf-weight", 1.0));
    o.generative_weight = static_cast<float>(args.number("gen-weight", 1.0));
    o.energy_l2 = static_cast<float>(args.number("energy-l2", 0.0));
    o.class_conditional = args.has("class-conditional");
    const std::int64_t limit = args.integer("train-limit", 0);
    const std::int64_t valid = args.integer("valid", 5000);
    const std::int64_t patience = args.integer("patience", 0);
    const auto seed = static_cast<std::uint64_t>(args.integer("seed", 0));
    const Backend backend = args.backend();
    const std::string out = args.text("out", "jem.safetensors");
    const std::string curves = args.text("curves", "");
    const std::string resume = args.text("resume", "");
    const bool json = args.has("json");
    args.finish();
    if (epochs < 1) throw UsageError{"--epochs must be >= 1"};
    if (valid < 0 || patience < 0) throw UsageError{"--valid and --patience must be >= 0"};

    const auto start = std::chrono::steady_clock::now();
    // The last `valid` training images are held out for validation and early stopping.
    const auto [all_images, all_labels] = scaled(load_fashion_mnist(dir, "train"), limit);
    const std::int64_t held = std::min(valid, all_images.dim(0) / 2), kept = all_images.dim(0) - held;
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
    const auto [test_images, test_labels] = scaled(load_fashion_mnist(dir, "test"), 0);
    Context ctx(backend, seed);
    MlpEnergy model(widths, act);
    model.init_uniform(seed);
    model = model.to(ctx.device());
    JemTrainer trainer(ctx, model, o);
    if (!resume.empty()) trainer.load(resume);
    std::ofstream csv;
    if (!curves.empty()) {
        csv.open(curves);
        if (!csv) throw Error("cannot write " + curves);
        csv << "epoch,loss,cross_entropy,energy_data,energy_sample,train_accuracy,valid_accuracy\n";
    }
    std::fprintf(stderr, "jem: %s %s, %lld images, batch %lld, %u SGLD steps, backend %s\n", widths_text.c_str(),
                 to_string(act.kind), static_cast<long long>(images.dim(0)), static_cast<long long>(o.batch),
                 o.sampler.steps, to_string(ctx.backend()));
    double best = -1.0;
    std::int64_t since_best = 0;
    std::vector<std::vector<double>> curve(4);  // loss, cross-entropy, train and validation accuracy
    const StopOnSignal stop;  // SIGINT / SIGTERM: finish the batch, write a resumable checkpoint
    for (std::int64_t e = 0; e < epochs; ++e) {
        Progress bar("epoch " + std::to_string(trainer.epoch() + 1));
        const std::size_t events_before = trainer.events().size();
        const JemStepStats s = trainer.train_epoch(
            images, labels, [&](std::int64_t d, std::int64_t t, const JemStepStats&) { bar.update(d, t); }, &stop.flag());
        if (s.interrupted) {
            const std::string resumable = interrupted_path(out);
            trainer.save(resumable);
            bar.finish("interrupted");
            std::fprintf(stderr,
                         "jem: %s after %lld iterations (epoch %d, batch %lld); wrote %s; continue with --resume %s\n",
                         stop.signal_name(), static_cast<long long>(trainer.iterations()), trainer.epoch() + 1,
                         static_cast<long long>(trainer.batch_in_epoch()), resumable.c_str(), resumable.c_str());
            return stop.exit_status();
        }
        for (std::size_t i = events_before; i < trainer.events().size(); ++i) {
            std::fprintf(stderr, "jem: %s\n", trainer.events()[i].c_str());
        }
        const double accuracy = held ? trainer.evaluate(valid_images, valid_labels).accuracy : s.accuracy;
        char line[200];
        std::snprintf(line, sizeof line, "loss %.4f, CE %.4f, E(data) %.3f, E(sample) %.3f, train acc %.4f, valid acc %.4f",
                      s.loss, s.cross_entropy, s.energy_data, s.energy_sample, s.accuracy, accuracy);
        bar.finish(line);
        if (csv) {
            csv << trainer.epoch() << ',' << s.loss << ',' << s.cross_entropy << ',' << s.energy_data << ','
                << s.energy_sample << ',' << s.accuracy << ',' << accuracy << std::endl;
            for (const auto& [i, v] : {std::pair{0, s.loss}, {1, s.cross_entropy}, {2, s.accuracy}, {3, accuracy}}) {
                curve[i].push_back(v);
            }
            write_png_curves(curves + ".png", curve);
        }
        // The checkpoint keeps the best validation accuracy; patience epochs without a gain stop training.
        if (accuracy > best) {
            best = accuracy;
            since_best = 0;
            trainer.save(out);
        } else if (patience > 0 && ++since_best >= patience) {
            std::fprintf(stderr, "jem: no gain in validation accuracy for %lld epochs; stopping\n",
                         static_cast<long long>(patience));
            break;
        }
    }
    trainer.load(out);
    const JemEvaluation ev = trainer.evaluate(test_images, test_labels);
    const double seconds = seconds_since(start);
    std::fprintf(stderr, "jem: wrote %s after %.1fs\n", out.c_str(), seconds);
    if (json) {
        std::printf("%s\n", JsonObject()
                                .add("command", "jem train")
                                .add("model", out)
                                .add("epochs", static_cast<std::int64_t>(trainer.epoch()))
                                .add("iterations", trainer.iterations())
                                .add("train_images", images.dim(0))
                                .add("valid_accuracy", best)
                                .add("test_accuracy", ev.accuracy)
                                .add("test_calibration_error", ev.calibration_error)
                                .add("rollbacks", static_cast<std::int64_t>(trainer.events().size()))
                                .add("backend", to_string(ctx.backend()))
                                .add("seconds", seconds)
                                .str()
                                .c_str());
    }
    return 0;
}

int jem_eval(const std::vector<std::string>& argv) {
    Args args(argv, {"json"});
    const std::string path = args.text("model", "");
    const std::string dir = args.text("data", default_fashion_mnist_dir());
    const Backend backend = args.backend();
    const bool json = args.has("json");
    args.finish();
    if (path.empty()) throw UsageError{"--model FILE is required"};
    Context ctx(backend);
    MlpEnergy model = model_from(path, ctx.device());
    const auto [images, labels] = scaled(load_fashion_mnist(dir, "test"), 0);
    JemTrainOptions o;
    o.generative_weight = 0;  // evaluation only: no sampler buffer
    JemTrainer trainer(ctx, model, o);
    const JemEvaluation ev = trainer.evaluate(images, labels);
    std::fprintf(stderr, "jem eval: test accuracy %.4f, mean energy %.4f, calibration error %.4f, %lld images\n",
                 ev.accuracy, ev.mean_energy, ev.calibration_error, static_cast<long long>(images.dim(0)));
    if (json) {
        std::printf("%s\n", JsonObject()
                                .add("command", "jem eval")
                                .add("model", path)
                                .add("test_accuracy", ev.accuracy)
                                .add("test_mean_energy", ev.mean_energy)
                                .add("test_calibration_error", ev.calibration_error)
                                .add("backend", to_string(ctx.backend()))
                                .str()
                                .c_str());
    }
    return 0;
}

int jem_sample(const std::vector<std::string>& argv) {
    Args args(argv, {"per-class"});
    const std::string path = args.text("model", "");
    const std::int64_t count = args.integer("count", 64);
    const std::int64_t steps = args.integer("steps", 200);
    const auto seed = static_cast<std::uint64_t>(args.integer("seed", 0));
    const Backend backend = args.backend();
    const std::string out = args.text("out", "jem-samples.png");
    const bool per_class = args.has("per-class");
    args.finish();
    if (path.empty()) throw UsageError{"--model FILE is required"};
    if (count < 1 || steps < 1) throw UsageError{"--count and --steps must be >= 1"};
    Context ctx(backend, seed);
    const MlpEnergy model = model_from(path, ctx.device());
    Progress bar("sampling");
    write_sample_grid(ctx, model, count, static_cast<std::uint32_t>(steps), per_class, out);
    bar.finish("wrote " + out);
    return 0;
}

}  // namespace ebm
