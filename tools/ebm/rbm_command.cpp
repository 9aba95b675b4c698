// ebm rbm train | eval | sample.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>
#include <string>

#include "args.hpp"
#include "commands.hpp"
#include "interrupt.hpp"
#include "ebmkit/ebmkit.hpp"
#include "report.hpp"

namespace ebm {

namespace {

using namespace ebmkit;

Tensor binarized(const ImageSet& set, const std::string& how, std::uint64_t seed, std::int64_t limit) {
    Tensor images = set.images.clone();
    if (limit > 0 && limit < set.size()) {
        Tensor head({limit, images.dim(1)});
        copy(ConstTensorView(images.data<float>(), {limit, images.dim(1)}, DType::F32, Device::Host), head);
        images = std::move(head);
    }
    if (how == "threshold") return binarize_threshold(images, 0.5f);
    if (how == "sample") return binarize_sample(images, seed);
    throw UsageError{"--binarize must be threshold or sample, got '" + how + "'"};
}

// The checkpoint's RBM, on the context's device.
Rbm load_rbm(const std::string& path, SafeTensors& file, Device device) {
    file = load_safetensors(path);
    return read_rbm(file, device);
}

std::string metadata_or(const SafeTensors& file, const std::string& key, const std::string& fallback) {
    const auto it = file.metadata.find(key);
    return it == file.metadata.end() ? fallback : it->second;
}

double mean_pseudo_likelihood(Context& ctx, const Rbm& rbm, const Tensor& v, std::int64_t rows) {
    rows = std::min(rows, v.dim(0));
    Tensor head({rows, v.dim(1)});
    copy(ConstTensorView(v.data<float>(), {rows, v.dim(1)}, DType::F32, Device::Host), head);
    Tensor pl({rows}, DType::F32, ctx.device());
    const Tensor rows_on_device = head.to(ctx.device());
    pseudo_log_likelihood(ctx, rbm, rows_on_device, pl);
    const auto values = pl.to_vector<float>();
    return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(rows);
}

}  // namespace

int rbm_train(const std::vector<std::string>& argv) {
    Args args(argv, {"json"});
    const std::string dir = args.text("data", default_fashion_mnist_dir());
    const std::int64_t hidden = args.integer("hidden", 500);
    RbmTrainOptions o;
    if (args.has("cd") && args.has("pcd")) throw UsageError{"give --cd K or --pcd K, not both"};
    o.persistent = !args.has("cd");
    o.k = static_cast<int>(args.integer(o.persistent ? "pcd" : "cd", 1));
    const std::int64_t epochs = args.integer("epochs", 5);
    o.batch = args.integer("batch", 100);
    o.lr = static_cast<float>(args.number("lr", 0.05));
    o.lr_decay = static_cast<float>(args.number("lr-decay", 0.0));
    o.momentum = static_cast<float>(args.number("momentum", 0.0));
    o.weight_decay = static_cast<float>(args.number("weight-decay", 0.0));
    o.chains = args.integer("chains", 0);
    const std::string how = args.text("binarize", "threshold");
    const std::int64_t limit = args.integer("train-limit", 0);
    const auto seed = static_cast<std::uint64_t>(args.integer("seed", 0));
    const Backend backend = args.backend();
    const std::string out = args.text("out", "rbm.safetensors");
    const std::string resume = args.text("resume", "");
    const bool json = args.has("json");
    args.finish();
    if (epochs < 1) throw UsageError{"--epochs must be >= 1"};

    const auto start = std::chrono::steady_clock::now();
    const Tensor data = binarized(load_fashion_mnist(dir, "train"), how, seed, limit);
    Context ctx(backend, seed);
    Rbm rbm(data.dim(1), hidden, ctx.device());
    rbm.init_normal(seed, 0.01f);
    RbmTrainer trainer(ctx, rbm, o);
    if (!resume.empty()) trainer.load(resume);
    const std::map<std::string, std::string> metadata = {
        {"format", "ebmkit-rbm"}, {"binarize", how}, {"k", std::to_string(o.k)},
        {"persistent", o.persistent ? "true" : "false"}, {"seed", std::to_string(seed)}};
    std::fprintf(stderr, "rbm: %lld x %lld, %s-%d, %lld images, backend %s\n", static_cast<long long>(data.dim(1)),
                 static_cast<long long>(hidden), o.persistent ? "PCD" : "CD", o.k, static_cast<long long>(data.dim(0)),
                 to_string(ctx.backend()));
    double pl = 0.0;
    const StopOnSignal stop;  // SIGINT / SIGTERM: finish the batch, write a resumable checkpoint
    for (std::int64_t e = 0; e < epochs; ++e) {
        Progress bar("epoch " + std::to_string(e + 1) + "/" + std::to_string(epochs));
        const RbmEpochStats s =
            trainer.train_epoch(data, [&](std::int64_t d, std::int64_t t) { bar.update(d, t); }, &stop.flag());
        if (s.interrupted) {
            const std::string resumable = interrupted_path(out);
            trainer.save(resumable, metadata);
            bar.finish("interrupted");
            std::fprintf(stderr, "rbm: %s in epoch %d, after batch %lld; wrote %s; continue with --resume %s\n",
                         stop.signal_name(), trainer.epoch() + 1, static_cast<long long>(trainer.batch_in_epoch()),
                         resumable.c_str(), resumable.c_str());
            return stop.exit_status();
        }
        pl = mean_pseudo_likelihood(ctx, rbm, data, 500);
        char line[128];
        std::snprintf(line, sizeof line, "lr %.4g, pseudo-log-likelihood %.2f nats/image (500 training images)", s.lr, pl);
        bar.finish(line);
    }
    auto final_metadata = metadata;
    final_metadata["epochs"] = std::to_string(trainer.epoch());
    trainer.save(out, final_metadata);
    const double seconds = seconds_since(start);
    std::fprintf(stderr, "rbm: wrote %s after %.1fs\n", out.c_str(), seconds);
    if (json) {
        std::printf("%s\n", JsonObject()
                                .add("command", "rbm train")
                                .add("model", out)
                                .add("visible", data.dim(1))
                                .add("hidden", hidden)
                                .add("epochs", epochs)
                                .add("train_images", data.dim(0))
                                .add("pseudo_log_likelihood", pl)
                                .add("backend", to_string(ctx.backend()))
                                .add("seconds", seconds)
                                .str()
                                .c_str());
    }
    return 0;
}

int rbm_eval(const std::vector<std::string>& argv) {
    Args args(argv, {"json", "exact", "ais"});
    const std::string path = args.text("model", "");
    const std::string dir = args.text("data", default_fashion_mnist_dir());
    const bool exact = args.has("exact"), ais_flag = args.has("ais");
    if (exact && ais_flag) throw UsageError{"give --exact or --ais, not both"};
    AisOptions ais;
    ais.runs = args.integer("ais-runs", 100);
    const std::int64_t steps = args.integer("ais-steps", 0);
    const std::int64_t limit = args.integer("test-limit", 0);
    const auto seed = static_cast<std::uint64_t>(args.integer("seed", 0));
    const Backend backend = args.backend();
    const bool json = args.has("json");
    args.finish();
    if (path.empty()) throw UsageError{"--model FILE is required"};
    if (steps < 0) throw UsageError{"--ais-steps must be >= 0 (0: the standard 14,500-step schedule)"};
    if (steps > 0) ais.betas = linear_ais_schedule(steps);

    const auto start = std::chrono::steady_clock::now();
    Context ctx(backend, seed);
    SafeTensors file;
    const Rbm rbm = load_rbm(path, file, ctx.device());
    const std::string how = metadata_or(file, "binarize", "threshold");
    const Tensor test = binarized(load_fashion_mnist(dir, "test"), how, seed + 1, limit);
    if (test.dim(1) != rbm.visible()) {
        throw Error("model " + path + " has " + std::to_string(rbm.visible()) + " visible units but the images have " +
                    std::to_string(test.dim(1)) + " pixels");
    }
    double log_z = 0, low = 0, high = 0;
    if (exact) {
        log_z = low = high = log_partition_exact(ctx, rbm);
    } else {
        const Tensor train = binarized(load_fashion_mnist(dir, "train"), how, seed, 0);
        Progress bar("ais");
        const Tensor base_rate = base_rate_bias(train).to(ctx.device());
        const AisResult r = log_partition_ais(ctx, rbm, base_rate, ais);
        log_z = r.log_z, low = r.log_z_low, high = r.log_z_high;
        char line[160];
        std::snprintf(line, sizeof line, "log Z = %.3f (+3 std %.3f, -3 std %.3f), %lld runs, %zu betas", log_z,
                      high, low, static_cast<long long>(ais.runs), ais.betas.empty() ? std::size_t{14501} : ais.betas.size());
        bar.finish(line);
    }
    Tensor f({test.dim(0)}, DType::F32, ctx.device());
    const Tensor test_on_device = test.to(ctx.device());
    free_energy(ctx, rbm, test_on_device, f);
    const auto fv = f.to_vector<float>();
    const double mean_neg_f = -std::accumulate(fv.begin(), fv.end(), 0.0) / static_cast<double>(fv.size());
    const double ll = mean_neg_f - log_z;
    const double pl = mean_pseudo_likelihood(ctx, rbm, test, 1000);
    std::fprintf(stderr, "rbm eval: backend %s, test log-likelihood %.3f nats/image (range %.3f .. %.3f), pseudo-LL %.3f, %lld images\n",
                 to_string(ctx.backend()), ll, mean_neg_f - high, mean_neg_f - low, pl, static_cast<long long>(test.dim(0)));
    if (json) {
        std::printf("%s\n", JsonObject()
                                .add("command", "rbm eval")
                                .add("model", path)
                                .add("method", exact ? "exact" : "ais")
                                .add("log_z", log_z)
                                .add("log_z_low", low)
                                .add("log_z_high", high)
                                .add("test_log_likelihood", ll)
                                .add("test_pseudo_log_likelihood", pl)
                                .add("test_images", test.dim(0))
                                .add("backend", to_string(ctx.backend()))
                                .add("seconds", seconds_since(start))
                                .str()
                                .c_str());
    }
    return 0;
}

int rbm_sample(const std::vector<std::string>& argv) {
    Args args(argv, {});
    const std::string path = args.text("model", "");
    const std::int64_t chains = args.integer("chains", 64);
    const std::int64_t steps = args.integer("steps", 1000);
    const std::int64_t columns = args.integer("columns", 8);
    const auto seed = static_cast<std::uint64_t>(args.integer("seed", 0));
    const Backend backend = args.backend();
    const std::string out = args.text("out", "rbm-samples.png");
    args.finish();
    if (path.empty()) throw UsageError{"--model FILE is required"};
    if (chains < 1 || steps < 1 || columns < 1) throw UsageError{"--chains, --steps and --columns must be >= 1"};

    Context ctx(backend, seed);
    SafeTensors file;
    const Rbm rbm = load_rbm(path, file, ctx.device());
    // Chains start from fair coin flips.
    Tensor start({chains, rbm.visible()});
    for (std::int64_t i = 0; i < start.numel(); ++i) {
        start.data<float>()[i] = philox_uniform(seed, RngPurpose::ChainInit, static_cast<std::uint32_t>(i / rbm.visible()),
                                                0, static_cast<std::uint32_t>(i % rbm.visible())) <= 0.5f;
    }
    Tensor v = start.to(ctx.device());
    Tensor h({chains, rbm.hidden()}, DType::F32, ctx.device());
    Progress bar("sampling");
    for (std::int64_t s = 0; s < steps; s += 100) {  // 100 sweeps a call, for the progress bar
        const auto k = static_cast<int>(std::min<std::int64_t>(100, steps - s));
        gibbs_chain(ctx, rbm, v, h, static_cast<std::uint32_t>(s), k);
        bar.update(s + k, steps);
    }
    // Show p(v | h) of the last sweep: the mean image of each chain's state.
    Tensor pv({chains, rbm.visible()}, DType::F32, ctx.device());
    rbm_visible_probs(ctx, rbm, h, pv);
    const auto side = static_cast<std::int64_t>(std::lround(std::sqrt(static_cast<double>(rbm.visible()))));
    const bool square = side * side == rbm.visible();
    write_png_grid(out, pv, square ? side : 1, square ? side : rbm.visible(), columns);
    bar.finish("wrote " + out);
    return 0;
}

}  // namespace ebm
