// ebm rbm train | eval | sample.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "config.hpp"
#include "ebmkit/ebmkit.hpp"
#include "epoch_log.hpp"
#include "interrupt.hpp"
#include "ranks.hpp"
#include "report.hpp"
#include "restore_report.hpp"
#include "model_file.hpp"
#include "rbm_data.hpp"

namespace ebm {

namespace {

using namespace ebmkit;

// The checkpoint's RBM, on the context's device.
Rbm load_rbm(const std::string& path, SafeTensors& file, Device device) {
    file = load_model_file(path, {ModelKind::Rbm});
    return read_rbm(file, device);
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


struct TrainOptions {
    std::string data = default_fashion_mnist_dir(), binarize = "threshold", backend = "auto";
    std::string out = "rbm.safetensors", resume, log;
    std::int64_t hidden = 500, epochs = 5, batch = 100, chains = 0, train_limit = 0;
    int cd = 0, pcd = 1, pt = 0;
    double lr = 0.05, lr_decay = 0.0, momentum = 0.0, weight_decay = 0.0, pt_beta_min = 0.1;
    std::uint64_t seed = 0;
    bool json = false, centered = true;  // centred PCD-1: the best recipe measured (bench/RESULTS.md)
};

struct EvalOptions {
    std::string model, data = default_fashion_mnist_dir(), backend = "auto";
    bool exact = false, ais = false, json = false;
    std::int64_t ais_runs = 100, ais_steps = 0, test_limit = 0, raise_images = 100;
    std::uint64_t seed = 0;
};

struct SampleOptions {
    std::string model, backend = "auto", out = "rbm-samples.png", init = "random", data = default_fashion_mnist_dir();
    std::int64_t chains = 64, steps = 1000, columns = 8;
    int pt = 0;
    double pt_beta_min = 0.1;
    std::uint64_t seed = 0;
};

struct InpaintOptions {
    InpaintRun run;
    std::int64_t sweeps = 200;
};

struct DenoiseOptions {
    std::string model, data = default_fashion_mnist_dir(), backend = "auto", out = "rbm-denoise.png";
    double rate = 0.1;
    std::int64_t count = 1000, sweeps = 50;
    std::uint64_t seed = 0;
    bool json = false;
};

// "0.41, 0.38, ..." (the swap rates per pair), or "" without PT.
std::string rates_text(const std::vector<double>& rates) {
    std::string out;
    for (double r : rates) {
        char one[16];
        std::snprintf(one, sizeof one, "%s%.2f", out.empty() ? "" : " ", r);
        out += one;
    }
    return out;
}

int train(CLI::App& command, TrainOptions& a) {
    apply_config(command);
    RbmTrainOptions o;
    o.persistent = command.get_option("--cd")->count() == 0;
    o.k = static_cast<std::uint32_t>(o.persistent ? a.pcd : a.cd);  // checked positive
    o.batch = a.batch;
    o.lr = static_cast<float>(a.lr);
    o.lr_decay = static_cast<float>(a.lr_decay);
    o.momentum = static_cast<float>(a.momentum);
    o.weight_decay = static_cast<float>(a.weight_decay);
    o.chains = a.chains;
    o.tempering_replicas = a.pt;
    o.tempering_beta_min = static_cast<float>(a.pt_beta_min);
    o.centered = a.centered;
    const auto start = std::chrono::steady_clock::now();
    const Tensor data = binarized(load_fashion_mnist(a.data, "train"), a.binarize, a.seed, a.train_limit);
    Context ctx(backend_of(a.backend), a.seed);
    const Ranks ranks(ctx);  // mpirun -np N: data parallel, rank 0 writes
    ranks.check_split("rbm train", "--batch", o.batch);
    if (o.persistent && o.chains) ranks.check_split("rbm train", "--chains", o.chains);
    if (o.tempering_replicas && ranks.size() > 1) {
        throw UsageError{"rbm train: --pt runs on one rank, not on " + std::to_string(ranks.size())};
    }
    Rbm rbm(data.dim(1), a.hidden, ctx.device());
    rbm.init_normal(a.seed, 0.01f);
    RbmTrainer trainer(ctx, rbm, o, ranks.comm());
    if (!a.resume.empty()) trainer.load(a.resume);
    const std::map<std::string, std::string> metadata = {
        {"format", "ebmkit-rbm"}, {"binarize", a.binarize}, {"k", std::to_string(o.k)},
        {"persistent", o.persistent ? "true" : "false"}, {"seed", std::to_string(a.seed)},
        {"tempering_replicas", std::to_string(o.tempering_replicas)}, {"centered", o.centered ? "true" : "false"},
        {config_key, recorded_config(command)}};
    EpochLog log(ranks.lead() ? a.log : "", !a.resume.empty());
    const std::string recipe = std::string(o.centered ? "centred " : "") +
                               (o.tempering_replicas ? "PT(" + std::to_string(o.tempering_replicas) + ")"
                                                     : o.persistent ? "PCD" : "CD");
    std::fprintf(stderr, "rbm: %lld x %lld, %s-%u, %lld images, backend %s%s\n", static_cast<long long>(data.dim(1)),
                 static_cast<long long>(a.hidden), recipe.c_str(), o.k, static_cast<long long>(data.dim(0)),
                 to_string(ctx.backend()), ranks.batch_split(o.batch).c_str());
    double pl = 0.0;
    const StopOnSignal stop;  // SIGINT / SIGTERM: finish the batch, write a resumable checkpoint
    for (std::int64_t e = 0; e < a.epochs; ++e) {
        Progress bar("epoch " + std::to_string(e + 1) + "/" + std::to_string(a.epochs));
        const RbmEpochStats s =
            trainer.train_epoch(data, [&](std::int64_t d, std::int64_t t) { bar.update(d, t); }, &stop.flag());
        if (s.interrupted) {
            return stop_for_signal(stop, bar, "rbm",
                                   "in epoch " + std::to_string(trainer.epoch() + 1) + ", after batch " +
                                       std::to_string(trainer.batch_in_epoch()),
                                   a.out, [&](const std::string& path) { trainer.save(path, metadata); });
        }
        pl = ranks.lead() ? mean_pseudo_likelihood(ctx, rbm, data, 500) : 0.0;
        char line[128];
        std::snprintf(line, sizeof line, "lr %.4g, pseudo-log-likelihood %.2f nats/image (500 training images)", s.lr, pl);
        bar.finish(line + (s.swap_rates.empty() ? "" : ", swap rates " + rates_text(s.swap_rates)));
        nlohmann::ordered_json entry = {{"epoch", trainer.epoch()}, {"lr", s.lr}, {"pseudo_log_likelihood", pl},
                                        {"seconds", seconds_since(start)}};
        if (!s.swap_rates.empty()) entry["swap_rates"] = s.swap_rates;
        log.write(entry);
    }
    auto final_metadata = metadata;
    final_metadata["epochs"] = std::to_string(trainer.epoch());
    trainer.save(a.out, final_metadata);
    const double seconds = seconds_since(start);
    std::fprintf(stderr, "rbm: wrote %s after %.1fs\n", a.out.c_str(), seconds);
    if (a.json) {
        const nlohmann::ordered_json summary = {{"command", "rbm train"},
                                                {"model", a.out},
                                                {"visible", data.dim(1)},
                                                {"hidden", a.hidden},
                                                {"epochs", a.epochs},
                                                {"train_images", data.dim(0)},
                                                {"pseudo_log_likelihood", pl},
                                                {"backend", to_string(ctx.backend())},
                                                {"ranks", ranks.size()},
                                                {"seconds", seconds}};
        std::printf("%s\n", summary.dump().c_str());
    }
    return 0;
}

int eval(const EvalOptions& a) {
    AisOptions ais;
    ais.runs = a.ais_runs;
    if (a.ais_steps > 0) ais.betas = linear_ais_schedule(a.ais_steps);
    const std::size_t betas = ais.betas.empty() ? std::size_t{14501} : ais.betas.size();
    const auto start = std::chrono::steady_clock::now();
    Context ctx(backend_of(a.backend), a.seed);
    SafeTensors file;
    const Rbm rbm = load_rbm(a.model, file, ctx.device());
    const std::string how = binarization_of(file);
    const Tensor test = binarized(load_fashion_mnist(a.data, "test"), how, a.seed + 1, a.test_limit);
    if (test.dim(1) != rbm.visible()) {
        throw Error("model " + a.model + " has " + std::to_string(rbm.visible()) + " visible units but the images have " +
                    std::to_string(test.dim(1)) + " pixels");
    }
    Tensor f({test.dim(0)}, DType::F32, ctx.device());
    const Tensor test_on_device = test.to(ctx.device());
    free_energy(ctx, rbm, test_on_device, f);
    const auto fv = f.to_vector<float>();
    const double mean_neg_f = -std::accumulate(fv.begin(), fv.end(), 0.0) / static_cast<double>(fv.size());

    double log_z = 0, low = 0, high = 0;
    std::optional<RaiseResult> raise;
    const std::int64_t raise_rows = std::min(a.raise_images, test.dim(0));
    if (a.exact) {
        log_z = low = high = log_partition_exact(ctx, rbm);
    } else {
        const Tensor base_rate = training_base_rate(ctx, a.data, how, a.seed);
        Progress bar("ais");
        const AisResult r = log_partition_ais(ctx, rbm, base_rate, ais);
        log_z = r.log_z, low = r.log_z_low, high = r.log_z_high;
        char line[160];
        std::snprintf(line, sizeof line, "log Z = %.3f (+3 std %.3f, -3 std %.3f), %lld runs, %zu betas", log_z,
                      high, low, static_cast<long long>(ais.runs), betas);
        bar.finish(line);
        if (raise_rows > 0) {
            // RAISE's conservative side of the bracket: one reverse chain per image on the
            // same schedule, over the first raise_rows test images.
            Progress raise_bar("raise");
            AisOptions one_run = ais;
            one_run.runs = 1;
            const ConstTensorView head(test_on_device.data<float>(), {raise_rows, test.dim(1)}, DType::F32, ctx.device());
            raise = log_likelihood_raise(ctx, rbm, base_rate, head, one_run);
            char done[120];
            std::snprintf(done, sizeof done, "log-likelihood >= %.3f (std error %.3f), %lld images", raise->mean,
                          raise->std_error, static_cast<long long>(raise_rows));
            raise_bar.finish(done);
        }
    }
    const double ll = mean_neg_f - log_z;
    const double pl = mean_pseudo_likelihood(ctx, rbm, test, 1000);
    // AIS's -3 std bound of log Z is undefined when a few runs dominate the weights.
    char range[96];
    if (std::isfinite(low)) std::snprintf(range, sizeof range, "range %.3f .. %.3f", mean_neg_f - high, mean_neg_f - low);
    else std::snprintf(range, sizeof range, "%.3f at log Z + 3 std; log Z - 3 std undefined", mean_neg_f - high);
    std::fprintf(stderr, "rbm eval: backend %s, test log-likelihood %.3f nats/image (%s), pseudo-LL %.3f, %lld images\n",
                 to_string(ctx.backend()), ll, range, pl, static_cast<long long>(test.dim(0)));
    // AIS on RAISE's images, so that the bracket compares the same images.
    // The bracket's width, image by image (AIS's log p(v_n) minus RAISE's), and its
    // standard error: paired, so free of the spread between images.
    double ais_same = 0, gap = 0, gap_se = 0;
    if (raise) {
        ais_same = -std::accumulate(fv.begin(), fv.begin() + raise_rows, 0.0) / static_cast<double>(raise_rows) - log_z;
        std::vector<double> gaps(static_cast<std::size_t>(raise_rows));
        for (std::int64_t n = 0; n < raise_rows; ++n) gaps[n] = -static_cast<double>(fv[n]) - log_z - raise->log_likelihoods[n];
        gap = std::accumulate(gaps.begin(), gaps.end(), 0.0) / static_cast<double>(raise_rows);
        double sq = 0;
        for (double g : gaps) sq += (g - gap) * (g - gap);
        gap_se = raise_rows > 1 ? std::sqrt(sq / static_cast<double>(raise_rows - 1) / static_cast<double>(raise_rows)) : 0.0;
        std::fprintf(stderr,
                     "rbm eval: bracket on the first %lld images: RAISE %.3f (std error %.3f) <= log-likelihood <= AIS %.3f, "
                     "width %.3f (std error %.3f)\n",
                     static_cast<long long>(raise_rows), raise->mean, raise->std_error, ais_same, gap, gap_se);
    }
    if (a.json) {
        nlohmann::ordered_json summary = {{"command", "rbm eval"},
                                          {"model", a.model},
                                          {"method", a.exact ? "exact" : "ais"},
                                          {"log_z", log_z},
                                          {"log_z_low", low},
                                          {"log_z_high", high},
                                          {"test_log_likelihood", ll},
                                          {"test_pseudo_log_likelihood", pl},
                                          {"test_images", test.dim(0)}};
        if (raise) {
            summary["raise_images"] = raise_rows;
            summary["raise_log_likelihood"] = raise->mean;
            summary["raise_std_error"] = raise->std_error;
            summary["ais_log_likelihood_raise_images"] = ais_same;
            summary["bracket_width"] = gap;
            summary["bracket_width_std_error"] = gap_se;
        }
        summary["backend"] = to_string(ctx.backend());
        summary["seconds"] = seconds_since(start);
        std::printf("%s\n", summary.dump().c_str());
    }
    return 0;
}

// How many distinct labels the samples [S, D] show: each sample takes the label of its
// nearest image in `images` [N, D] (squared Euclidean distance), as the issue's "classes
// visible in the grid" is counted.
std::int64_t classes_shown(const Tensor& samples, const Tensor& images, const Tensor& labels) {
    const std::int64_t s = samples.dim(0), n = images.dim(0), d = images.dim(1);
    std::vector<std::int32_t> nearest(static_cast<std::size_t>(s));
    for (std::int64_t c = 0; c < s; ++c) {
        const float* x = samples.data<float>() + c * d;
        float best = INFINITY;
        for (std::int64_t r = 0; r < n; ++r) {
            const float* y = images.data<float>() + r * d;
            float dist = 0;
            for (std::int64_t i = 0; i < d; ++i) dist += (x[i] - y[i]) * (x[i] - y[i]);
            if (dist < best) best = dist, nearest[c] = labels.data<std::int32_t>()[r];
        }
    }
    std::sort(nearest.begin(), nearest.end());
    return std::unique(nearest.begin(), nearest.end()) - nearest.begin();
}

// Block Gibbs with the observed pixels clamped (gibbs_chain's clamp), from the missing
// pixels at random: the restoration is p(v | h) on them, averaged over the last 20
// sweeps; scored, with the two baselines, on the missing pixels of every test image.
int inpaint(const InpaintOptions& options) {
    const InpaintRun& a = options.run;
    Context ctx(backend_of(a.backend), a.seed);
    SafeTensors file;
    const Rbm rbm = load_rbm(a.model, file, ctx.device());
    const std::string how = binarization_of(file);
    const ImageSet test_set = load_fashion_mnist(a.data, "test");
    const Tensor truth = binarized(test_set, how, a.seed + 1, a.count);
    const std::int64_t n = truth.dim(0), d = truth.dim(1), m = rbm.hidden();
    if (d != rbm.visible()) throw UsageError{"rbm inpaint: the model has " + std::to_string(rbm.visible()) + " visible units"};
    const Tensor mask = make_mask(*value_named<MaskKind>(a.mask), n, test_set.height, test_set.width, a.rate, a.seed);
    // The chains start at the observed pixels, the missing ones random bits.
    Tensor start = truth.clone();
    std::mt19937_64 rng(a.seed);
    for (std::int64_t e = 0; e < n * d; ++e) {
        if (mask.data<float>()[e] == 0.0f) start.data<float>()[e] = static_cast<float>(rng() % 2);
    }
    Tensor v = start.to(ctx.device()), h({n, m}, DType::F32, ctx.device());
    const Tensor clamp = mask.to(ctx.device());
    Progress bar("rbm inpaint");
    const auto burn = static_cast<std::uint32_t>(std::max<std::int64_t>(options.sweeps - 20, 0));
    gibbs_chain(ctx, rbm, v, h, Steps{0, burn}, VisibleEvidence{clamp, {}});
    std::vector<double> sum(static_cast<std::size_t>(n * d), 0.0);
    Tensor pv({n, d}, DType::F32, ctx.device());
    const std::uint32_t averaged = static_cast<std::uint32_t>(options.sweeps) - burn;
    for (std::uint32_t s = 0; s < averaged; ++s) {
        gibbs_chain(ctx, rbm, v, h, Steps{burn + s, 1}, VisibleEvidence{clamp, {}});
        rbm_visible_probs(ctx, rbm, h, pv);
        const std::vector<float> p = pv.to_vector<float>();
        for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += p[i];
    }
    Tensor restored = truth.clone();
    for (std::int64_t e = 0; e < n * d; ++e) {
        if (mask.data<float>()[e] == 0.0f) restored.data<float>()[e] = static_cast<float>(sum[e] / averaged);
    }
    const Tensor training = binarized(load_fashion_mnist(a.data, "train"), how, a.seed, a.neighbours);
    const InpaintScores scores = score_inpainting(restored, truth, mask, training);
    write_three_rows(a.out, corrupted_view(truth, mask), restored, truth, test_set.height, test_set.width);
    char line[240];
    std::snprintf(line, sizeof line,
                  "%s mask, %lld images: MSE %.4f (mean image %.4f, nearest image %.4f), cross-entropy %.4f (%.4f, %.4f)",
                  a.mask.c_str(), static_cast<long long>(n), scores.model.mse, scores.mean_image.mse,
                  scores.nearest_image.mse, scores.model.cross_entropy, scores.mean_image.cross_entropy,
                  scores.nearest_image.cross_entropy);
    bar.finish(line);
    if (a.json) {
        const nlohmann::ordered_json summary = {
            {"command", "rbm inpaint"}, {"model", a.model}, {"mask", a.mask}, {"rate", a.rate}, {"images", n},
            {"sweeps", options.sweeps}, {"missing_pixels", scores.model.missing},
            {"mse", scores.model.mse}, {"cross_entropy", scores.model.cross_entropy},
            {"mean_image_mse", scores.mean_image.mse}, {"mean_image_cross_entropy", scores.mean_image.cross_entropy},
            {"nearest_image_mse", scores.nearest_image.mse},
            {"nearest_image_cross_entropy", scores.nearest_image.cross_entropy}, {"neighbours", training.dim(0)}};
        std::printf("%s\n", summary.dump().c_str());
    }
    return 0;
}

// Salt-and-pepper noise (each bit of a binarised test image flipped with probability
// rate) removed by the posterior under that noise model: Gibbs chains from the noisy
// images with the flip likelihood as a visible field (VisibleEvidence), the restoration
// the mean of the last 20 sweeps' visible states; PSNR against the noisy images and the
// 3 x 3 median filter's.
int denoise(const DenoiseOptions& a) {
    Context ctx(backend_of(a.backend), a.seed);
    SafeTensors file;
    const Rbm rbm = load_rbm(a.model, file, ctx.device());
    const ImageSet test_set = load_fashion_mnist(a.data, "test");
    const Tensor clean = binarized(test_set, binarization_of(file), a.seed + 1, a.count);
    const std::int64_t n = clean.dim(0), d = clean.dim(1);
    if (d != rbm.visible()) throw UsageError{"rbm denoise: the model has " + std::to_string(rbm.visible()) + " visible units"};
    if (!(a.rate > 0 && a.rate < 0.5)) throw UsageError{"--rate: the flip rate must be in (0, 0.5), got " + std::to_string(a.rate)};
    Tensor noisy = clean.clone(), field({n, d});
    std::mt19937_64 rng(a.seed);
    std::bernoulli_distribution flip(a.rate);
    const float evidence = static_cast<float>(std::log((1.0 - a.rate) / a.rate));
    for (std::int64_t e = 0; e < n * d; ++e) {
        if (flip(rng)) noisy.data<float>()[e] = 1.0f - noisy.data<float>()[e];
        field.data<float>()[e] = noisy.data<float>()[e] > 0.5f ? evidence : -evidence;
    }
    Tensor v = noisy.to(ctx.device()), h({n, rbm.hidden()}, DType::F32, ctx.device());
    const Tensor f = field.to(ctx.device());
    Progress bar("rbm denoise");
    const auto burn = static_cast<std::uint32_t>(std::max<std::int64_t>(a.sweeps - 20, 0));
    const auto averaged = static_cast<std::uint32_t>(a.sweeps) - burn;
    gibbs_chain(ctx, rbm, v, h, Steps{0, burn}, VisibleEvidence{{}, f});
    std::vector<double> sum(static_cast<std::size_t>(n * d), 0.0);
    for (std::uint32_t s = 0; s < averaged; ++s) {
        gibbs_chain(ctx, rbm, v, h, Steps{burn + s, 1}, VisibleEvidence{{}, f});
        const std::vector<float> state = v.to_vector<float>();
        for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += state[i];
    }
    Tensor denoised({n, d});
    for (std::int64_t e = 0; e < n * d; ++e) denoised.data<float>()[e] = static_cast<float>(sum[e] / averaged);
    const double noisy_psnr = psnr(noisy, clean), denoised_psnr = psnr(denoised, clean);
    const double median_psnr = psnr(median_filter_3x3(noisy, test_set.height, test_set.width), clean);
    write_three_rows(a.out, noisy, denoised, clean, test_set.height, test_set.width);
    char line[200];
    std::snprintf(line, sizeof line, "PSNR at flip rate %g: noisy %.2f dB, posterior mean %.2f dB, median 3x3 %.2f dB",
                  a.rate, noisy_psnr, denoised_psnr, median_psnr);
    bar.finish(line);
    if (a.json) {
        const nlohmann::ordered_json summary = {{"command", "rbm denoise"}, {"model", a.model},
                                                {"rate", a.rate},             {"sweeps", a.sweeps},
                                                {"images", n},                {"psnr_noisy", noisy_psnr},
                                                {"psnr_denoised", denoised_psnr}, {"psnr_median", median_psnr}};
        std::printf("%s\n", summary.dump().c_str());
    }
    return 0;
}

int sample(const SampleOptions& a) {
    Context ctx(backend_of(a.backend), a.seed);
    SafeTensors file;
    const Rbm rbm = load_rbm(a.model, file, ctx.device());
    // The training images, binarised as the model was trained: the --init data starts,
    // and the labels of the class count. Needed for --init data; without it, the count
    // is skipped when they cannot be read.
    std::optional<ImageSet> train_set;
    Tensor train;
    try {
        train_set = load_fashion_mnist(a.data, "train");
    } catch (const Error& e) {
        if (a.init == "data") throw;
        std::fprintf(stderr, "rbm sample: no class count (%s)\n", e.what());
    }
    if (train_set) {
        train = binarized(*train_set, binarization_of(file), a.seed, 0);
        if (train.dim(1) != rbm.visible()) {
            throw Error("model " + a.model + " has " + std::to_string(rbm.visible()) +
                        " visible units but the images have " + std::to_string(train.dim(1)) + " pixels");
        }
    }
    // Chains start from fair coin flips, or (--init data) at training images drawn
    // uniformly (Philox, DataSample).
    Tensor start({a.chains, rbm.visible()});
    if (a.init == "data") {
        for (std::int64_t c = 0; c < a.chains; ++c) {
            const double u = philox_uniform(a.seed, RngPurpose::DataSample, static_cast<std::uint32_t>(c), 0, 0);
            const auto row = std::min(static_cast<std::int64_t>(u * static_cast<double>(train.dim(0))), train.dim(0) - 1);
            std::copy_n(train.data<float>() + row * rbm.visible(), rbm.visible(), start.data<float>() + c * rbm.visible());
        }
    } else {
        for (std::int64_t i = 0; i < start.numel(); ++i) {
            start.data<float>()[i] = philox_uniform(a.seed, RngPurpose::ChainInit, static_cast<std::uint32_t>(i / rbm.visible()),
                                                    0, static_cast<std::uint32_t>(i % rbm.visible())) <= 0.5f;
        }
    }
    const Tensor start_here = start.to(ctx.device());
    Tensor v = start.to(ctx.device());
    Tensor h({a.chains, rbm.hidden()}, DType::F32, ctx.device());
    std::optional<ParallelTempering> pt;
    if (a.pt > 0) {
        pt.emplace(ctx, rbm.visible(), rbm.hidden(), a.chains, geometric_betas(a.pt, static_cast<float>(a.pt_beta_min)));
        pt->reset(start_here);
    }
    Progress bar("sampling");
    for (std::int64_t s = 0; s < a.steps; s += 100) {  // 100 sweeps a call, for the progress bar
        const auto k = static_cast<std::uint32_t>(std::min<std::int64_t>(100, a.steps - s));
        if (pt) pt->run(rbm, k);
        else gibbs_chain(ctx, rbm, v, h, Steps{static_cast<std::uint32_t>(s), k});
        bar.update(s + k, a.steps);
    }
    // Show p(v | h) of the last sweep: the mean image of each chain's state (PT: of its beta = 1 replica).
    Tensor pv({a.chains, rbm.visible()}, DType::F32, ctx.device());
    rbm_visible_probs(ctx, rbm, pt ? pt->hidden_samples() : ConstTensorView(h), pv);
    if (pt) std::fprintf(stderr, "rbm sample: swap rates per pair %s\n", rates_text(pt->swap_rates()).c_str());
    const auto side = static_cast<std::int64_t>(std::lround(std::sqrt(static_cast<double>(rbm.visible()))));
    const bool square = side * side == rbm.visible();
    write_png_grid(a.out, pv, square ? side : 1, square ? side : rbm.visible(), a.columns);
    bar.finish("wrote " + a.out);
    if (train_set) {
        std::fprintf(stderr, "rbm sample: %lld classes among %lld samples (the label of each one's nearest training image)\n",
                     static_cast<long long>(classes_shown(pv.to(Device::Host), train, train_set->labels)),
                     static_cast<long long>(a.chains));
    }
    return 0;
}

}  // namespace

void add_rbm_commands(Cli& cli, CLI::App& rbm) {
    const CLI::Validator positive = at_least(1), at_least_zero = at_least(0);
    {
        auto a = std::make_shared<TrainOptions>();
        CLI::App* c = rbm.add_subcommand("train", "Train an RBM on Fashion-MNIST with PCD-k (default) or CD-k");
        c->add_option("--data", a->data, "Fashion-MNIST folder (IDX files, gzip or plain)");
        c->add_option("--hidden", a->hidden, "Hidden units")->check(positive);
        CLI::Option* cd = c->add_option("--cd", a->cd, "CD-k: k Gibbs sweeps from the data")->check(positive)->default_str("");
        CLI::Option* pcd = c->add_option("--pcd", a->pcd, "PCD-k: k sweeps of persistent chains (the default, k = 1)")
                               ->check(positive)
                               ->default_str("");
        cd->excludes(pcd);
        c->add_option("--epochs", a->epochs, "Passes over the training images")->check(positive);
        c->add_option("--batch", a->batch, "Images per update")->check(positive);
        c->add_option("--lr", a->lr, "Learning rate")->check(finite());
        c->add_option("--lr-decay", a->lr_decay, "Learning-rate decay per epoch")->check(finite());
        c->add_option("--momentum", a->momentum, "Momentum")->check(finite());
        c->add_option("--weight-decay", a->weight_decay, "L2 weight decay")->check(finite());
        c->add_option("--chains", a->chains, "Persistent chains (0: one per batch row)")->check(at_least_zero);
        c->add_option("--pt", a->pt, "Parallel tempering with R replicas per chain (R >= 2); --pcd K sets its sweeps")
            ->check(at_least(2))
            ->excludes(cd)
            ->default_str("");
        c->add_option("--pt-beta-min", a->pt_beta_min, "The hottest replica's beta (a geometric ladder up to 1)")
            ->check(CLI::Range(1e-6, 0.999999));
        c->add_flag("--centered,!--plain", a->centered,
                    "Centred RBM (Melchior et al. 2016), the default: offsets follow the data's means; --plain for the "
                    "textbook parametrisation");
        c->add_option("--binarize", a->binarize, "Grey levels to bits: threshold at 0.5, or sample")
            ->check(CLI::IsMember({"threshold", "sample"}));
        c->add_option("--train-limit", a->train_limit, "Train on the first N images (0: all)")->check(at_least_zero);
        c->add_option("--seed", a->seed, "Seed of initialisation, shuffling and sampling")->check(at_least_zero);
        add_backend_option(*c, a->backend);
        c->add_option("--out", a->out, "Checkpoint to write");
        add_train_run_options(*c, a->resume, a->log, a->json);
        cli.add(c, [c, a] { return train(*c, *a); });
    }
    {
        auto a = std::make_shared<EvalOptions>();
        CLI::App* c = rbm.add_subcommand("eval", "Test log-likelihood of a trained RBM (exact log Z, or AIS bracketed by RAISE)");
        c->add_option("--model", a->model, "RBM checkpoint")->required()->check(CLI::ExistingFile);
        c->add_option("--data", a->data, "Fashion-MNIST folder");
        CLI::Option* exact = c->add_flag("--exact", a->exact, "Exact log Z by enumeration (small models)");
        CLI::Option* ais = c->add_flag("--ais", a->ais, "log Z by annealed importance sampling (the default)");
        exact->excludes(ais);
        c->add_option("--ais-runs", a->ais_runs, "AIS runs")->check(positive);
        c->add_option("--ais-steps", a->ais_steps, "AIS temperatures (0: the standard 14,500-step schedule)")
            ->check(at_least_zero);
        c->add_option("--test-limit", a->test_limit, "Evaluate the first N test images (0: all)")->check(at_least_zero);
        c->add_option("--raise", a->raise_images,
                      "Conservative side of the bracket: RAISE on the first N test images, one reverse chain each on "
                      "AIS's schedule (0: none; not with --exact)")
            ->check(at_least_zero);
        c->add_option("--seed", a->seed, "Seed of AIS, RAISE and of sampled binarisation")->check(at_least_zero);
        add_backend_option(*c, a->backend);
        c->add_flag("--json", a->json, "Print a JSON summary on stdout");
        cli.add(c, [a] { return eval(*a); });
    }
    {
        auto dn = std::make_shared<DenoiseOptions>();
        CLI::App* c = rbm.add_subcommand("denoise", "Remove salt-and-pepper noise by the posterior under the flip model, with PSNR");
        c->add_option("--model", dn->model, "RBM checkpoint")->required()->check(CLI::ExistingFile);
        c->add_option("--data", dn->data, "Fashion-MNIST folder");
        c->add_option("--rate", dn->rate, "Probability that a bit is flipped, in (0, 0.5)")->check(CLI::Range(0.0, 0.5));
        c->add_option("--count", dn->count, "Test images")->check(positive);
        c->add_option("--sweeps", dn->sweeps, "Gibbs sweeps (the states of the last 20 averaged)")->check(positive);
        c->add_option("--seed", dn->seed, "Seed of the noise and the chains")->check(at_least_zero);
        add_backend_option(*c, dn->backend);
        c->add_option("--out", dn->out, "PNG grid: noisy | denoised | clean rows");
        c->add_flag("--json", dn->json, "Print a JSON summary on stdout");
        cli.add(c, [dn] { return denoise(*dn); });
    }
    {
        auto in = std::make_shared<InpaintOptions>();
        CLI::App* ip = rbm.add_subcommand("inpaint", "Restore masked test images by Gibbs sampling with the observed pixels clamped");
        add_inpaint_options(*ip, in->run, "RBM", "rbm-inpaint.png");
        ip->add_option("--sweeps", in->sweeps, "Gibbs sweeps (p(v | h) averaged over the last 20)")->check(at_least(1));
        cli.add(ip, [in] { return inpaint(*in); });
    }
    {
        auto a = std::make_shared<SampleOptions>();
        CLI::App* c = rbm.add_subcommand("sample", "Gibbs chains of a trained RBM, drawn as a PNG grid");
        c->add_option("--model", a->model, "RBM checkpoint")->required()->check(CLI::ExistingFile);
        c->add_option("--chains", a->chains, "Chains (images in the grid)")->check(positive);
        c->add_option("--steps", a->steps, "Gibbs sweeps per chain")->check(positive);
        c->add_option("--columns", a->columns, "Images per grid row")->check(positive);
        c->add_option("--seed", a->seed, "Seed of the chains")->check(at_least_zero);
        c->add_option("--init", a->init, "Chain starts: random bits, or training images (data)")
            ->check(CLI::IsMember({"random", "data"}));
        c->add_option("--data", a->data, "Fashion-MNIST folder (for --init data and the count of classes shown)");
        c->add_option("--pt", a->pt, "Parallel tempering with R replicas per chain (R >= 2); the grid shows beta = 1")
            ->check(at_least(2))
            ->default_str("");
        c->add_option("--pt-beta-min", a->pt_beta_min, "The hottest replica's beta (a geometric ladder up to 1)")
            ->check(CLI::Range(1e-6, 0.999999));
        add_backend_option(*c, a->backend);
        c->add_option("--out", a->out, "PNG to write");
        cli.add(c, [a] { return sample(*a); });
    }
}

}  // namespace ebm
