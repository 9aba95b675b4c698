// ebm jem ood | ebm rbm ood: how well a trained model's scores tell Fashion-MNIST's test
// images from out-of-distribution sets made from them (ebmkit/ood_sets.hpp), by AUROC,
// AUPR (in and out) and the false-positive rate at 95% true-positive rate, each with a
// bootstrap interval (ebmkit/ood.hpp), and the ROC curves as a PNG. An RBM's score is
// log p(v) = -F(v) - log Z where log Z is had (exact for a small layer, or by AIS), so
// the sets' mean log-likelihoods compare too (Nalisnick et al.'s test); else -F(v).
#include <algorithm>
#include <cstdio>
#include <numeric>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "ebmkit/ebmkit.hpp"
#include "mlp_options.hpp"
#include "plot/roc.hpp"
#include "report.hpp"
#include "model_file.hpp"
#include "rbm_data.hpp"

namespace ebm {

namespace {

using namespace ebmkit;

constexpr const char* heldout = "heldout";

std::vector<std::string> set_names() {
    std::vector<std::string> names = names_of<OodSet>();
    names.emplace_back(heldout);
    return names;
}

struct OodOptions {
    std::string model, data = default_fashion_mnist_dir(), backend = "auto", roc, digits;
    std::vector<std::string> sets;  // empty: every set the model has
    std::int64_t count = 2000;
    int reps = 200;
    std::uint64_t seed = 0;
    bool json = false;
};

// A model's named scores (higher: more like its data) of images [N, D] in [0, 1].
using Scores = std::vector<std::pair<std::string, std::vector<float>>>;
using Scorer = std::function<Scores(const Tensor& images)>;

// The first count rows of t [N, D].
Tensor head(const Tensor& t, std::int64_t count) {
    const std::int64_t n = std::min(count, t.dim(0)), d = t.dim(1);
    Tensor out({n, d});
    copy(ConstTensorView(t.data<float>(), {n, d}, DType::F32, Device::Host), out);
    return out;
}

// classes (a model trained on some classes only): its classes' test images are the in
// set, the others the held-out set.
int run_ood(OodOptions a, const std::string& family, const std::vector<int>& classes, const Scorer& score) {
    const ImageSet test = load_fashion_mnist(a.data, "test");
    const Tensor images = classes.empty() ? head(test.images, a.count)
                                          : head(rows_of_classes(test.images, test.labels, classes, true).images, a.count);
    const std::int64_t n = images.dim(0);
    if (a.sets.empty()) {
        a.sets = names_of<OodSet>();
        if (!classes.empty()) a.sets.emplace_back(heldout);
    }
    // --digits: scikit-learn's digits as IDX (tools/digits_to_idx.py), a proxy for MNIST.
    Tensor digits;
    if (!a.digits.empty()) {
        const ImageSet set = load_idx(a.digits + "/digits-images-idx3-ubyte.gz", a.digits + "/digits-labels-idx1-ubyte.gz");
        if (set.height != test.height || set.width != test.width) {
            throw UsageError{"--digits: " + std::to_string(set.height) + "x" + std::to_string(set.width) +
                             " images, the test images are " + std::to_string(test.height) + "x" + std::to_string(test.width)};
        }
        digits = head(set.images, a.count);
        a.sets.emplace_back("digits");
    }
    if (classes.empty() && std::find(a.sets.begin(), a.sets.end(), heldout) != a.sets.end()) {
        throw UsageError{"--ood heldout: the model was trained on every class (jem train --classes holds some out)"};
    }
    Progress bar(family + " ood");
    const Scores in = score(images);
    auto mean = [](const std::vector<float>& v) {
        return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
    };
    std::vector<double> mean_in;
    for (const auto& named : in) mean_in.push_back(mean(named.second));
    nlohmann::ordered_json records = nlohmann::ordered_json::array();
    std::vector<std::pair<std::string, std::vector<RocPoint>>> curves;
    std::vector<std::string> lines;
    for (std::size_t s = 0; s < a.sets.size(); ++s) {
        const Scores out = score(a.sets[s] == "digits" ? digits.clone()
                                 : a.sets[s] == heldout
                                     ? head(rows_of_classes(test.images, test.labels, classes, false).images, a.count)
                                     : make_ood_set(*value_named<OodSet>(a.sets[s]), images, test.height, test.width,
                                                    a.seed));  // IsMember checked the name
        for (std::size_t k = 0; k < in.size(); ++k) {
            const OodMetrics m = ood_metrics(in[k].second, out[k].second, a.reps, a.seed);
            const double mean_out = mean(out[k].second);
            char line[300];
            std::snprintf(line, sizeof line,
                          "%-9s %-15s AUROC %.3f [%.3f, %.3f]  AUPR-in %.3f  AUPR-out %.3f  FPR@95 %.3f  mean %.4g in, %.4g out",
                          a.sets[s].c_str(), in[k].first.c_str(), m.auroc.value, m.auroc.low, m.auroc.high,
                          m.aupr_in.value, m.aupr_out.value, m.fpr_at_95_tpr.value, mean_in[k], mean_out);
            lines.emplace_back(line);
            auto metric = [](const RankMetric& r) { return nlohmann::ordered_json{{"value", r.value}, {"low", r.low}, {"high", r.high}}; };
            records.push_back({{"command", family + " ood"}, {"model", a.model}, {"set", a.sets[s]},
                               {"score", in[k].first}, {"images", n},
                               {"out_images", static_cast<std::int64_t>(out[k].second.size())}, {"auroc", metric(m.auroc)},
                               {"aupr_in", metric(m.aupr_in)}, {"aupr_out", metric(m.aupr_out)},
                               {"fpr_at_95_tpr", metric(m.fpr_at_95_tpr)}, {"mean_in", mean_in[k]},
                               {"mean_out", mean_out}});
            if (k == 0) curves.emplace_back(a.sets[s], roc_curve(in[k].second, out[k].second));
        }
        bar.update(static_cast<std::int64_t>(s + 1), static_cast<std::int64_t>(a.sets.size()));
    }
    bar.finish(std::to_string(n) + " test images against " + std::to_string(a.sets.size()) + " sets");
    for (const std::string& line : lines) std::fprintf(stderr, "%s\n", line.c_str());
    if (!a.roc.empty()) {
        plot::plot_roc(curves, family + ": " + in.front().first + " of Fashion-MNIST's test images against each set",
                       a.roc);
        std::fprintf(stderr, "%s ood: wrote %s\n", family.c_str(), a.roc.c_str());
    }
    if (a.json) std::printf("%s\n", records.dump().c_str());
    return 0;
}

void add_options(CLI::App* c, OodOptions& a) {
    c->add_option("--model", a.model, "Checkpoint")->required()->check(CLI::ExistingFile);
    c->add_option("--data", a.data, "Fashion-MNIST folder (its test images are the in-distribution set)");
    c->add_option("--ood", a.sets,
                  "Out-of-distribution sets made from the test images, and heldout: the classes a model trained with "
                  "--classes never saw (default: every set it has)")
        ->check(CLI::IsMember(set_names()));
    c->add_option("--digits", a.digits,
                  "A folder of scikit-learn's digits as IDX (tools/digits_to_idx.py): a proxy for MNIST, one set more")
        ->check(CLI::ExistingDirectory);
    c->add_option("--count", a.count, "Test images (and images per set)")->check(at_least(1));
    c->add_option("--reps", a.reps, "Bootstrap resamples of each interval (0: none)")->check(at_least(0));
    c->add_option("--seed", a.seed, "Seed of the sets and the bootstrap")->check(at_least(0));
    add_backend_option(*c, a.backend);
    c->add_option("--roc", a.roc, "ROC curves of the first score, one per set, to PNG");
    c->add_flag("--json", a.json, "Print a JSON array of the metrics on stdout");
}

}  // namespace

void add_jem_ood_command(Cli& cli, CLI::App& jem) {
    auto a = std::make_shared<OodOptions>();
    CLI::App* c = jem.add_subcommand("ood", "Out-of-distribution detection by a trained JEM: -E(x), max p(y|x), -|grad log p(x)|");
    add_options(c, *a);
    cli.add(c, [a] {
        Context ctx(backend_of(a->backend), a->seed);
        const SafeTensors file = load_model_file(a->model, {ModelKind::Jem});
        const MlpEnergy model = read_mlp(file, ctx.device());
        const auto listed = file.metadata.find("classes");
        std::vector<int> classes;
        if (listed != file.metadata.end()) {
            for (const std::int64_t c : split_integers(listed->second, a->model + " (classes)")) classes.push_back(static_cast<int>(c));
        }
        return run_ood(*a, "jem", classes, [&](const Tensor& images) {
            // JEM's inputs are images scaled to [-1, 1].
            Tensor x = images.clone();
            for (std::int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = 2.0f * x.data<float>()[i] - 1.0f;
            const JemOodScores s = jem_ood_scores(ctx, model, x);
            return Scores{{"log_density", s.log_density}, {"max_softmax", s.max_softmax},
                          {"neg_grad_norm", s.neg_grad_norm}};
        });
    });
}

struct RbmOodOptions : OodOptions {
    std::string log_z = "auto";
    std::int64_t ais_runs = 100, ais_steps = 1000;
};

void add_rbm_ood_command(Cli& cli, CLI::App& rbm) {
    auto a = std::make_shared<RbmOodOptions>();
    CLI::App* c = rbm.add_subcommand("ood", "Out-of-distribution detection by a trained RBM: log p(v), or -F(v)");
    add_options(c, *a);
    c->add_option("--log-z", a->log_z,
                  "How log Z is had for the score log p(v) = -F(v) - log Z: exact (a layer of at most 25 units), ais, "
                  "none (the score is -F(v)); auto: exact where it can be, else none")
        ->check(CLI::IsMember({"auto", "exact", "ais", "none"}));
    c->add_option("--ais-runs", a->ais_runs, "AIS runs for --log-z ais")->check(at_least(1));
    c->add_option("--ais-steps", a->ais_steps, "AIS betas, evenly spaced, for --log-z ais")->check(at_least(1));
    cli.add(c, [a] {
        Context ctx(backend_of(a->backend), a->seed);
        const SafeTensors file = load_model_file(a->model, {ModelKind::Rbm});
        const Rbm rbm = read_rbm(file, ctx.device());
        const std::string how = binarization_of(file);  // as the RBM's training data was
        const bool small = std::min(rbm.visible(), rbm.hidden()) <= 25;
        const std::string method = a->log_z == "auto" ? (small ? "exact" : "none") : a->log_z;
        double log_z = 0;
        if (method == "exact") {
            if (!small) {
                throw UsageError{"--log-z exact: both layers have more than 25 units (" + std::to_string(rbm.visible()) +
                                 " and " + std::to_string(rbm.hidden()) + "); use --log-z ais"};
            }
            log_z = log_partition_exact(ctx, rbm);
            std::fprintf(stderr, "rbm ood: exact log Z = %.4f\n", log_z);
        } else if (method == "ais") {
            // AIS from the base-rate model of the training data, as ebm rbm eval runs it.
            AisOptions ais;
            ais.runs = a->ais_runs;
            ais.betas = linear_ais_schedule(a->ais_steps);
            const Tensor base_rate = training_base_rate(ctx, a->data, how, a->seed);
            const AisResult r = log_partition_ais(ctx, rbm, base_rate, ais);
            log_z = r.log_z;
            std::fprintf(stderr, "rbm ood: AIS log Z = %.4f (+-3 standard errors: %.4f, %.4f), %lld runs, %lld betas\n",
                         log_z, r.log_z_low, r.log_z_high, static_cast<long long>(ais.runs),
                         static_cast<long long>(a->ais_steps));
        }
        const bool normalised = method != "none";
        return run_ood(*a, "rbm", {}, [&](const Tensor& images) {
            const Tensor v = binarized(images, how, a->seed);
            std::vector<float> score = rbm_ood_scores(ctx, rbm, v);
            if (!normalised) return Scores{{"neg_free_energy", std::move(score)}};
            for (float& s : score) s = static_cast<float>(s - log_z);
            return Scores{{"log_p", std::move(score)}};
        });
    });
}

}  // namespace ebm
