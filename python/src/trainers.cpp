// The trainers from Python: an epoch runs without the GIL; after every batch it takes
// the GIL for a moment to let Python's signal handlers run, and Ctrl-C (or any
// handler that raises) stops it between batches, the model and trainer consistent
// (a checkpoint saved then resumes bit for bit), and the exception is raised.
#include <nanobind/nanobind.h>
#include <nanobind/stl/map.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <atomic>

#include "arrays.hpp"
#include "names.hpp"
#include "ebmkit/ebmkit.hpp"

namespace nb = nanobind;
using namespace nb::literals;
using namespace ebmkit;

namespace ebmkit::python {

namespace {

// A host copy of a (the trainers shuffle on the host).
Tensor host_tensor(const Array& a, const char* name) { return Tensor::copy_of(in(a, name), Device::Host); }

// Called after each batch, without the GIL: runs the pending signal handlers.
struct SignalCheck {
    std::atomic<bool> stop{false};
    bool raised = false;
    void operator()() {
        nb::gil_scoped_acquire gil;
        if (PyErr_CheckSignals() != 0) {
            raised = true;
            stop = true;
        }
    }
};

nb::dict step_stats(const JemStepStats& s) {
    nb::dict out;
    out["loss"] = s.loss, out["cross_entropy"] = s.cross_entropy, out["energy_data"] = s.energy_data;
    out["energy_sample"] = s.energy_sample, out["accuracy"] = s.accuracy, out["rolled_back"] = s.rolled_back;
    return out;
}

}  // namespace

void bind_trainers(nb::module_& m) {
    nb::class_<RbmTrainOptions>(m, "RbmTrainOptions")
        .def(nb::init<>())
        .def_rw("k", &RbmTrainOptions::k)
        .def_rw("persistent", &RbmTrainOptions::persistent)
        .def_rw("chains", &RbmTrainOptions::chains)
        .def_rw("batch", &RbmTrainOptions::batch)
        .def_rw("lr", &RbmTrainOptions::lr)
        .def_rw("lr_decay", &RbmTrainOptions::lr_decay)
        .def_rw("momentum", &RbmTrainOptions::momentum)
        .def_rw("weight_decay", &RbmTrainOptions::weight_decay)
        .def_rw("tempering_replicas", &RbmTrainOptions::tempering_replicas,
                ">= 2: parallel tempering with this many replicas per chain; 0: PCD or CD")
        .def_rw("tempering_beta_min", &RbmTrainOptions::tempering_beta_min, "the hottest replica's beta")
        .def_rw("centered", &RbmTrainOptions::centered, "centred RBM training (offsets follow the data's means)");

    nb::class_<RbmTrainer>(m, "RbmTrainer", "CD-k / PCD-k training of an Rbm in place")
        .def(nb::init<Context&, Rbm&, const RbmTrainOptions&>(), "ctx"_a, "rbm"_a, "options"_a = RbmTrainOptions(),
             nb::keep_alive<1, 2>(), nb::keep_alive<1, 3>())
        .def(
            "train_epoch",
            [](RbmTrainer& t, const Array& data) {
                const Tensor host = host_tensor(data, "data");
                SignalCheck check;
                RbmEpochStats s;
                {
                    nb::gil_scoped_release release;
                    s = t.train_epoch(host, [&](std::int64_t, std::int64_t) { check(); }, &check.stop);
                }
                if (check.raised) throw nb::python_error();
                nb::dict out;
                out["epoch"] = s.epoch, out["lr"] = s.lr, out["updates"] = s.updates;
                out["swap_rates"] = nb::cast(s.swap_rates);
                return out;
            },
            "data"_a, "One pass over binary data [N, D]; Ctrl-C stops it between batches")
        .def_prop_ro("epoch", &RbmTrainer::epoch)
        .def_prop_ro("batch_in_epoch", &RbmTrainer::batch_in_epoch)
        .def("save", &RbmTrainer::save, "path"_a, "metadata"_a = std::map<std::string, std::string>{},
             nb::call_guard<nb::gil_scoped_release>())
        .def("load", &RbmTrainer::load, "path"_a, nb::call_guard<nb::gil_scoped_release>());

    nb::class_<JemTrainOptions>(m, "JemTrainOptions")
        .def(nb::init<>())
        .def_rw("batch", &JemTrainOptions::batch)
        .def_rw("classifier_weight", &JemTrainOptions::classifier_weight)
        .def_rw("generative_weight", &JemTrainOptions::generative_weight)
        .def_rw("energy_l2", &JemTrainOptions::energy_l2)
        .def_rw("class_conditional", &JemTrainOptions::class_conditional)
        .def_prop_rw(
            "lr", [](const JemTrainOptions& o) { return o.optimizer.lr; },
            [](JemTrainOptions& o, float lr) { o.optimizer.lr = lr; })
        .def_prop_rw(
            "weight_decay", [](const JemTrainOptions& o) { return o.optimizer.weight_decay; },
            [](JemTrainOptions& o, float w) { o.optimizer.weight_decay = w; })
        .def_prop_rw(
            "optimizer", [](const JemTrainOptions& o) { return std::string(to_string(o.optimizer.kind)); },
            [](JemTrainOptions& o, const std::string& name) {
                o.optimizer.kind = python::parse<OptimizerKind>(name, "optimizer");
            })
        .def_prop_rw(
            "sgld_steps", [](const JemTrainOptions& o) { return o.sampler.steps; },
            [](JemTrainOptions& o, std::uint32_t s) { o.sampler.steps = s; })
        .def_prop_rw(
            "sgld_alpha", [](const JemTrainOptions& o) { return o.sampler.step.alpha; },
            [](JemTrainOptions& o, float a) { o.sampler.step.alpha = a; })
        .def_prop_rw(
            "sgld_sigma", [](const JemTrainOptions& o) { return o.sampler.step.sigma; },
            [](JemTrainOptions& o, float s) { o.sampler.step.sigma = s; })
        .def_prop_rw(
            "buffer", [](const JemTrainOptions& o) { return o.sampler.buffer_size; },
            [](JemTrainOptions& o, std::int64_t b) { o.sampler.buffer_size = b; })
        .def_prop_rw(
            "reinit", [](const JemTrainOptions& o) { return o.sampler.reinit; },
            [](JemTrainOptions& o, float r) { o.sampler.reinit = r; })
        .def_rw("sampler", &JemTrainOptions::sampler, "The sampler's options (the sgld_* and buffer fields are in it)")
        .def_rw("max_energy_gap", &JemTrainOptions::max_energy_gap,
                "|mean E(data) - mean E(sample)| beyond this counts as divergence (the guard rolls back)")
        .def_rw("snapshot_every", &JemTrainOptions::snapshot_every, "good iterations between the guard's snapshots");

    nb::class_<JemTrainer>(m, "JemTrainer", "JEM training of an MlpEnergy in place (ebmkit's loop, sampler and guard)")
        .def(nb::init<Context&, MlpEnergy&, const JemTrainOptions&>(), "ctx"_a, "model"_a,
             "options"_a = JemTrainOptions(), nb::keep_alive<1, 2>(), nb::keep_alive<1, 3>())
        .def(
            "train_epoch",
            [](JemTrainer& t, const Array& images, const Array& labels) {
                const Tensor x = host_tensor(images, "images"), y = host_tensor(labels, "labels");
                SignalCheck check;
                JemStepStats s;
                {
                    nb::gil_scoped_release release;
                    s = t.train_epoch(x, y, [&](std::int64_t, std::int64_t, const JemStepStats&) { check(); }, &check.stop);
                }
                if (check.raised) throw nb::python_error();
                return step_stats(s);
            },
            "images"_a, "labels"_a, "One pass over images [N, D] in [-1, 1] and int32 labels; Ctrl-C stops it between batches")
        .def(
            "step",
            [](JemTrainer& t, const Array& images, const Array& labels) {
                const ConstTensorView x = in(images, "x"), y = in(labels, "labels");
                JemStepStats s;
                {
                    nb::gil_scoped_release release;
                    s = t.step(x, y);
                }
                return step_stats(s);
            },
            "x"_a, "labels"_a, "One iteration on a batch x [B, D] in [-1, 1] and int32 labels [B] on the context's device")
        .def(
            "evaluate",
            [](JemTrainer& t, const Array& images, const Array& labels) {
                const Tensor x = host_tensor(images, "images"), y = host_tensor(labels, "labels");
                JemEvaluation e;
                {
                    nb::gil_scoped_release release;
                    e = t.evaluate(x, y);
                }
                nb::dict out;
                out["accuracy"] = e.accuracy, out["mean_energy"] = e.mean_energy;
                out["calibration_error"] = e.calibration_error;
                return out;
            },
            "images"_a, "labels"_a)
        .def_prop_ro("iterations", &JemTrainer::iterations)
        .def_prop_ro("epoch", &JemTrainer::epoch)
        .def_prop_ro("batch_in_epoch", &JemTrainer::batch_in_epoch)
        .def("save", &JemTrainer::save, "path"_a, "metadata"_a = std::map<std::string, std::string>{},
             nb::call_guard<nb::gil_scoped_release>())
        .def("load", &JemTrainer::load, "path"_a, nb::call_guard<nb::gil_scoped_release>());
}

}  // namespace ebmkit::python
