// Score matching from Python (include/ebmkit/score.hpp, score_trainer.hpp): the losses
// with their parameter gradients, annealed Langevin, Tweedie's step and the trainer.
// Enums travel as their names (ebmkit/names.hpp).
#include <nanobind/nanobind.h>
#include <nanobind/stl/map.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <atomic>

#include "arrays.hpp"
#include "ebmkit/ebmkit.hpp"
#include "names.hpp"

namespace nb = nanobind;
using namespace nb::literals;

namespace ebmkit::python {

namespace {

using Release = nb::call_guard<nb::gil_scoped_release>;

DenoisingScoreOptions denoising_options(const std::string& conditioning, bool sigma_squared_weight) {
    return {parse<NoiseConditioning>(conditioning, "conditioning"), sigma_squared_weight};
}

}  // namespace

void bind_score(nb::module_& m) {
    m.def("geometric_ladder", &geometric_ladder, "first"_a, "last"_a, "levels"_a,
          "sigma_1 > ... > sigma_L, geometric from first to last");
    m.def(
        "denoising_score_gradient",
        [](Context& ctx, const MlpEnergy& model, const Array& x, const Array& noise, const Array& sigma,
           const std::string& conditioning, bool sigma_squared_weight, MlpEnergy& grad) {
            const DenoisingScoreOptions o = denoising_options(conditioning, sigma_squared_weight);
            const ConstTensorView xs = in(x, "x"), n = in(noise, "noise"), s = in(sigma, "sigma");
            nb::gil_scoped_release release;
            return denoising_score_gradient(ctx, model, xs, n, s, o, grad);
        },
        "ctx"_a, "model"_a, "x"_a, "noise"_a, "sigma"_a, "conditioning"_a, "sigma_squared_weight"_a, "grad"_a);
    m.def(
        "denoising_score_loss",
        [](Context& ctx, const MlpEnergy& model, const Array& x, const Array& noise, const Array& sigma,
           const std::string& conditioning, bool sigma_squared_weight) {
            const DenoisingScoreOptions o = denoising_options(conditioning, sigma_squared_weight);
            const ConstTensorView xs = in(x, "x"), n = in(noise, "noise"), s = in(sigma, "sigma");
            nb::gil_scoped_release release;
            return denoising_score_loss(ctx, model, xs, n, s, o);
        },
        "ctx"_a, "model"_a, "x"_a, "noise"_a, "sigma"_a, "conditioning"_a, "sigma_squared_weight"_a);
    m.def(
        "sliced_score_gradient",
        [](Context& ctx, const MlpEnergy& model, const Array& x, const Array& v, bool variance_reduced,
           MlpEnergy& grad) { return sliced_score_gradient(ctx, model, in(x, "x"), in(v, "projections"), variance_reduced, grad); },
        "ctx"_a, "model"_a, "x"_a, "projections"_a, "variance_reduced"_a, "grad"_a);
    m.def(
        "sliced_score_loss",
        [](Context& ctx, const MlpEnergy& model, const Array& x, const Array& v, bool variance_reduced) {
            return sliced_score_loss(ctx, model, in(x, "x"), in(v, "projections"), variance_reduced);
        },
        "ctx"_a, "model"_a, "x"_a, "projections"_a, "variance_reduced"_a);
    m.def(
        "annealed_langevin",
        [](Context& ctx, const MlpEnergy& model, const Array& x, const std::vector<float>& sigmas, float epsilon,
           std::uint32_t steps_per_level, bool denoise, const std::string& conditioning, std::uint32_t first_chain,
           std::uint32_t first_step) {
            AnnealedLangevinParams p;
            p.sigmas = sigmas;
            p.epsilon = epsilon;
            p.steps_per_level = steps_per_level;
            p.denoise = denoise;
            p.conditioning = parse<NoiseConditioning>(conditioning, "conditioning");
            p.first_chain = first_chain;
            const TensorView xs = out(x, "x");
            nb::gil_scoped_release release;
            annealed_langevin(ctx, model, xs, p, first_step);
        },
        "ctx"_a, "model"_a, "x"_a, "sigmas"_a, "epsilon"_a, "steps_per_level"_a, "denoise"_a, "conditioning"_a,
        "first_chain"_a, "first_step"_a);
    m.def(
        "tweedie_denoise",
        [](Context& ctx, const MlpEnergy& model, const Array& x, float sigma, const std::string& conditioning) {
            const NoiseConditioning c = parse<NoiseConditioning>(conditioning, "conditioning");
            const TensorView xs = out(x, "x");
            nb::gil_scoped_release release;
            tweedie_denoise(ctx, model, xs, sigma, c);
        },
        "ctx"_a, "model"_a, "x"_a, "sigma"_a, "conditioning"_a);

    nb::class_<ScoreTrainOptions>(m, "ScoreTrainOptions")
        .def(nb::init<>())
        .def_rw("batch", &ScoreTrainOptions::batch)
        .def_rw("sigmas", &ScoreTrainOptions::sigmas, "the noise ladder, strictly decreasing (denoising)")
        .def_rw("sigma_squared_weight", &ScoreTrainOptions::sigma_squared_weight)
        .def_rw("max_loss", &ScoreTrainOptions::max_loss)
        .def_rw("snapshot_every", &ScoreTrainOptions::snapshot_every)
        .def_prop_rw(
            "loss", [](const ScoreTrainOptions& o) { return std::string(to_string(o.loss)); },
            [](ScoreTrainOptions& o, const std::string& name) { o.loss = parse<ScoreLoss>(name, "loss"); })
        .def_prop_rw(
            "conditioning", [](const ScoreTrainOptions& o) { return std::string(to_string(o.conditioning)); },
            [](ScoreTrainOptions& o, const std::string& name) {
                o.conditioning = parse<NoiseConditioning>(name, "conditioning");
            })
        .def_prop_rw(
            "projection", [](const ScoreTrainOptions& o) { return std::string(to_string(o.projection)); },
            [](ScoreTrainOptions& o, const std::string& name) { o.projection = parse<Projection>(name, "projection"); })
        .def_prop_rw(
            "optimizer", [](const ScoreTrainOptions& o) { return std::string(to_string(o.optimizer.kind)); },
            [](ScoreTrainOptions& o, const std::string& name) {
                o.optimizer.kind = parse<OptimizerKind>(name, "optimizer");
            })
        .def_prop_rw(
            "lr", [](const ScoreTrainOptions& o) { return o.optimizer.lr; },
            [](ScoreTrainOptions& o, float lr) { o.optimizer.lr = lr; });

    nb::class_<ScoreTrainer>(m, "ScoreTrainer", "Score-matching training of an MlpEnergy in place")
        .def(nb::init<Context&, MlpEnergy&, const ScoreTrainOptions&>(), "ctx"_a, "model"_a,
             "options"_a = ScoreTrainOptions(), nb::keep_alive<1, 2>(), nb::keep_alive<1, 3>())
        .def(
            "step",
            [](ScoreTrainer& t, const Array& x) {
                const ConstTensorView xs = in(x, "x");
                ScoreStepStats s;
                {
                    nb::gil_scoped_release release;
                    s = t.step(xs);
                }
                nb::dict out;
                out["loss"] = s.loss, out["rolled_back"] = s.rolled_back;
                return out;
            },
            "x"_a, "One step on the batch x [B, D] on the context's device")
        .def(
            "train_epoch",
            [](ScoreTrainer& t, const Array& data) {
                const Tensor host = Tensor::copy_of(in(data, "data"), Device::Host);
                std::atomic<bool> stop{false};
                bool raised = false;
                ScoreStepStats s;
                {
                    nb::gil_scoped_release release;
                    s = t.train_epoch(
                        host,
                        [&](std::int64_t, std::int64_t, const ScoreStepStats&) {
                            nb::gil_scoped_acquire gil;
                            if (PyErr_CheckSignals() != 0) raised = true, stop = true;
                        },
                        &stop);
                }
                if (raised) throw nb::python_error();
                nb::dict out;
                out["loss"] = s.loss, out["rolled_back"] = s.rolled_back;
                return out;
            },
            "data"_a, "One pass over data [N, D]; Ctrl-C stops it between batches")
        .def(
            "evaluate",
            [](ScoreTrainer& t, const Array& data) {
                const Tensor host = Tensor::copy_of(in(data, "data"), Device::Host);
                nb::gil_scoped_release release;
                return t.evaluate(host);
            },
            "data"_a, "The loss's mean over data [N, D] with fixed draws")
        .def_prop_ro("iterations", &ScoreTrainer::iterations)
        .def_prop_ro("epoch", &ScoreTrainer::epoch)
        .def_prop_ro("batch_in_epoch", &ScoreTrainer::batch_in_epoch)
        .def_prop_ro("events", &ScoreTrainer::events)
        .def("save", &ScoreTrainer::save, "path"_a, "metadata"_a = std::map<std::string, std::string>{}, Release())
        .def("load", &ScoreTrainer::load, "path"_a, Release());
}

}  // namespace ebmkit::python
