// ebmkit's Python module (_ebmkit): the C++ API over arrays from NumPy, PyTorch,
// CuPy or anything with __dlpack__, without copies (src/arrays.hpp). Every function
// writes into outputs the caller passes; ebmkit/__init__.py allocates them in the
// caller's framework. Long calls release the GIL. ebmkit::Error becomes ValueError.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/map.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include "arrays.hpp"
#include "names.hpp"
#include "ebmkit/ebmkit.hpp"

namespace nb = nanobind;
using namespace nb::literals;

// Models move but do not copy (their parameters are Tensors), which a vector of them
// hides from std::is_copy_constructible.
template <>
struct nanobind::detail::is_copy_constructible<ebmkit::MlpEnergy> : std::false_type {};
using namespace ebmkit;
using ebmkit::python::Array;
using ebmkit::python::exported;
using ebmkit::python::in;
using ebmkit::python::out;
using ebmkit::python::parse;

namespace ebmkit::python {
void bind_trainers(nb::module_& m);
void bind_sampling(nb::module_& m);
void bind_energies(nb::module_& m);
void bind_ood(nb::module_& m);
void bind_score(nb::module_& m);
}

namespace {

using Release = nb::call_guard<nb::gil_scoped_release>;

Backend backend_named(const std::string& name) { return parse<Backend>(name, "backend"); }

Device device_named(const std::string& name) {
    if (name == "cpu" || name == "host") return Device::Host;
    if (name == "cuda") return Device::Cuda;
    throw nb::value_error(("device: '" + name + "' is neither cpu nor cuda").c_str());
}

const char* device_name(Device d) { return d == Device::Host ? "cpu" : "cuda"; }

Activation activation_named(const std::string& name, float leaky_slope) {
    const ActivationKind k = parse<ActivationKind>(name, "activation");
    return {k, leaky_slope};
}

}  // namespace

NB_MODULE(_ebmkit, m) {
    m.doc() = "ebmkit: CUDA kernels and a CPU reference path for energy-based models";
    nb::register_exception_translator([](const std::exception_ptr& p, void*) {
        try {
            std::rethrow_exception(p);
        } catch (const Error& e) {
            PyErr_SetString(PyExc_ValueError, e.what());
        }
    });
    // Arrays handed to PyTorch may outlive the module at interpreter exit; that is no leak.
    nb::set_leak_warnings(false);
    m.attr("__version__") = build_info().version;  // the same string as ebm --version
    m.def("build_summary", &build_summary);
    m.def("cuda_available", &cuda_available);

    nb::class_<Context>(m, "Context", "Where work runs: backend, seed, precision, MLP path")
        .def("__init__",
             [](Context* c, const std::string& backend, std::uint64_t seed) {
                 new (c) Context(backend_named(backend), seed);
             },
             "backend"_a = "auto", "seed"_a = 0)
        .def_prop_ro("backend", [](const Context& c) { return std::string(to_string(c.backend())); })
        .def_prop_ro("device", [](const Context& c) { return std::string(device_name(c.device())); })
        .def_prop_rw("seed", &Context::seed, &Context::set_seed)
        .def_prop_rw(
            "precision", [](const Context& c) { return std::string(to_string(c.precision())); },
            [](Context& c, const std::string& p) {
                c.set_precision(parse<Precision>(p, "precision"));
            })
        .def_prop_rw(
            "mlp_path", [](const Context& c) { return std::string(to_string(c.mlp_path())); },
            [](Context& c, const std::string& p) {
                c.set_mlp_path(parse<MlpPath>(p, "mlp_path"));
            })
        .def_prop_rw(
            "tile_plan", [](const Context& c) { return std::string(to_string(c.tile_plan())); },
            [](Context& c, const std::string& p) { c.set_tile_plan(parse<TilePlan>(p, "tile_plan")); },
            "how the on-chip kernels (Gibbs chain, fused MLP, fused Langevin chain) spread a few rows: auto, row_tiles, clusters or grid (the Langevin chain; the others take clusters)")
        .def("synchronize", &Context::synchronize, Release())
        .def(
            "wait_for_stream",
            [](Context& c, std::uintptr_t stream) { c.wait_for_stream(reinterpret_cast<CUstream_st*>(stream)); },
            "stream"_a,
            "Queues on the context's stream a wait for the work queued so far on stream (a cudaStream_t as an "
            "int: torch's Stream.cuda_stream, CuPy's Stream.ptr; 0 is the legacy default stream)")
        .def(
            "make_stream_wait",
            [](Context& c, std::uintptr_t stream) { c.make_stream_wait(reinterpret_cast<CUstream_st*>(stream)); },
            "stream"_a, "Queues on stream a wait for the work queued so far on the context's stream")
        .def(
            "adopt_stream",
            [](Context& c, std::uintptr_t stream) { c.adopt_stream(reinterpret_cast<CUstream_st*>(stream)); },
            "stream"_a,
            "Runs the context's work from now on on stream (torch.cuda.current_stream().cuda_stream, say; 0 is "
            "the legacy default stream), so that calls need no fence with the caller's work; the caller keeps "
            "the stream alive")
        .def_prop_ro(
            "stream", [](Context& c) { return reinterpret_cast<std::uintptr_t>(c.stream()); },
            "The context's CUDA stream as an int (a cudaStream_t; made on first use, or the adopted one)")
        .def(
            "transfers",
            [](const Context& c) {
                const TransferCounts t = c.transfers();
                return std::make_tuple(t.copies, t.synchronizations, t.allocations);
            },
            "(host-device copies, host waits, device allocations) made on this thread since reset_transfers()")
        .def("reset_transfers", &Context::reset_transfers);

    m.def(
        "logsumexp", [](Context& ctx, const Array& x, const Array& o) { logsumexp(ctx, in(x, "x"), out(o, "out")); },
        "ctx"_a, "x"_a, "out"_a, Release());
    m.def(
        "logsumexp_backward",
        [](Context& ctx, const Array& x, const Array& lse, const Array& dlse, const Array& dx) {
            logsumexp_backward(ctx, in(x, "x"), in(lse, "lse"), in(dlse, "dlse"), out(dx, "dx"));
        },
        "ctx"_a, "x"_a, "lse"_a, "dlse"_a, "dx"_a, Release());

    nb::class_<MlpEnergy>(m, "MlpEnergy", "An MLP f(x) with K outputs; E(x) = -logsumexp f(x), E(x, y) = -f(x)[y]")
        .def("__init__",
             [](MlpEnergy* p, std::vector<std::int64_t> widths, const std::string& activation, float leaky_slope,
                const std::string& device) {
                 new (p) MlpEnergy(std::move(widths), activation_named(activation, leaky_slope), device_named(device));
             },
             "widths"_a, "activation"_a = "elu", "leaky_slope"_a = 0.01f, "device"_a = "cpu")
        .def("init_uniform", &MlpEnergy::init_uniform, "seed"_a)
        .def("zeros_like", &MlpEnergy::zeros_like)
        .def("to", [](const MlpEnergy& m, const std::string& d) { return m.to(device_named(d)); }, "device"_a)
        .def_prop_ro("widths", &MlpEnergy::widths)
        .def_prop_ro("activation", [](const MlpEnergy& m) { return std::string(to_string(m.activation().kind)); })
        .def_prop_ro("leaky_slope", [](const MlpEnergy& m) { return m.activation().leaky_slope; })
        .def_prop_ro("device", [](const MlpEnergy& m) { return std::string(device_name(m.device())); })
        .def_prop_ro("num_layers", &MlpEnergy::num_layers)
        .def(
            "weight", [](nb::handle self, int l) { return exported(nb::cast<MlpEnergy&>(self).weight(l), self); },
            "layer"_a)
        .def(
            "bias", [](nb::handle self, int l) { return exported(nb::cast<MlpEnergy&>(self).bias(l), self); },
            "layer"_a)
        .def(
            "save",
            [](const MlpEnergy& model, const std::string& path, const std::map<std::string, std::string>& metadata) {
                CheckpointContents c;
                add_model(c, model, "MlpEnergy.save (" + path + ")");
                c.metadata.insert(metadata.begin(), metadata.end());
                c.metadata.emplace("format", "ebmkit-mlp");
                c.write(path);
            },
            "path"_a, "metadata"_a = std::map<std::string, std::string>{}, Release())
        .def_static(
            "load", [](const std::string& path, const std::string& device) {
                return read_mlp(load_safetensors(path), device_named(device));
            },
            "path"_a, "device"_a = "cpu");

    m.def(
        "mlp_logits",
        [](Context& ctx, const MlpEnergy& model, const Array& x, const Array& o) {
            mlp_logits(ctx, model, in(x, "x"), out(o, "logits"));
        },
        "ctx"_a, "model"_a, "x"_a, "logits"_a, Release());
    m.def(
        "energy",
        [](Context& ctx, const MlpEnergy& model, const Array& x, const Array& o) {
            energy(ctx, model, in(x, "x"), out(o, "energy"));
        },
        "ctx"_a, "model"_a, "x"_a, "energy"_a, Release());
    m.def(
        "energy_y",
        [](Context& ctx, const MlpEnergy& model, const Array& x, const Array& y, const Array& o) {
            energy(ctx, model, in(x, "x"), in(y, "labels"), out(o, "energy"));
        },
        "ctx"_a, "model"_a, "x"_a, "labels"_a, "energy"_a, Release());
    m.def(
        "energy_grad_x",
        [](Context& ctx, const MlpEnergy& model, const Array& x, const Array& g) {
            energy_grad_x(ctx, model, in(x, "x"), out(g, "grad"));
        },
        "ctx"_a, "model"_a, "x"_a, "grad"_a, Release());
    m.def(
        "energy_grad_x_y",
        [](Context& ctx, const MlpEnergy& model, const Array& x, const Array& y, const Array& g) {
            energy_grad_x(ctx, model, in(x, "x"), in(y, "labels"), out(g, "grad"));
        },
        "ctx"_a, "model"_a, "x"_a, "labels"_a, "grad"_a, Release());
    m.def(
        "param_grad",
        [](Context& ctx, const MlpEnergy& model, const Array& x, const Array& dlogits, MlpEnergy& grad, bool accumulate) {
            param_grad(ctx, model, in(x, "x"), in(dlogits, "dlogits"), grad, accumulate);
        },
        "ctx"_a, "model"_a, "x"_a, "dlogits"_a, "grad"_a, "accumulate"_a = false, Release());

    nb::class_<Rbm>(m, "Rbm", "A Bernoulli RBM: W [D, M], visible bias b [D], hidden bias c [M]")
        .def("__init__",
             [](Rbm* r, std::int64_t visible, std::int64_t hidden, const std::string& device) {
                 new (r) Rbm(visible, hidden, device_named(device));
             },
             "visible"_a, "hidden"_a, "device"_a = "cpu")
        .def("init_normal", &Rbm::init_normal, "seed"_a, "scale"_a = 0.01f)
        .def("to", [](const Rbm& r, const std::string& d) { return r.to(device_named(d)); }, "device"_a)
        .def_prop_ro("visible", &Rbm::visible)
        .def_prop_ro("hidden", &Rbm::hidden)
        .def_prop_ro("device", [](const Rbm& r) { return std::string(device_name(r.device())); })
        .def("w", [](nb::handle self) { return exported(nb::cast<Rbm&>(self).w(), self); })
        .def("b", [](nb::handle self) { return exported(nb::cast<Rbm&>(self).b(), self); })
        .def("c", [](nb::handle self) { return exported(nb::cast<Rbm&>(self).c(), self); })
        .def(
            "save",
            [](const Rbm& rbm, const std::string& path) {
                CheckpointContents c;
                add_model(c, rbm, "Rbm.save (" + path + ")");
                c.metadata.emplace("format", "ebmkit-rbm");
                c.write(path);
            },
            "path"_a, Release())
        .def_static(
            "load", [](const std::string& path, const std::string& device) {
                return read_rbm(load_safetensors(path), device_named(device));
            },
            "path"_a, "device"_a = "cpu");

    m.def(
        "rbm_hidden_probs",
        [](Context& ctx, const Rbm& rbm, const Array& v, const Array& ph) {
            rbm_hidden_probs(ctx, rbm, in(v, "v"), out(ph, "ph"));
        },
        "ctx"_a, "rbm"_a, "v"_a, "ph"_a, Release());
    m.def(
        "rbm_visible_probs",
        [](Context& ctx, const Rbm& rbm, const Array& h, const Array& pv) {
            rbm_visible_probs(ctx, rbm, in(h, "h"), out(pv, "pv"));
        },
        "ctx"_a, "rbm"_a, "h"_a, "pv"_a, Release());
    m.def(
        "gibbs_chain",
        [](Context& ctx, const Rbm& rbm, const Array& v, const Array& h, std::uint32_t first_step, std::uint32_t k) {
            gibbs_chain(ctx, rbm, out(v, "v"), out(h, "h"), Steps{first_step, k});
        },
        "ctx"_a, "rbm"_a, "v"_a, "h"_a, "first_step"_a, "k"_a, Release());
    m.def(
        "gibbs_chain_evidence",
        [](Context& ctx, const Rbm& rbm, const Array& v, const Array& h, std::uint32_t first_step, std::uint32_t k,
           std::optional<Array> clamp, std::optional<Array> field) {
            VisibleEvidence evidence;
            if (clamp) evidence.clamp = in(*clamp, "clamp");
            if (field) evidence.field = in(*field, "field");
            gibbs_chain(ctx, rbm, out(v, "v"), out(h, "h"), Steps{first_step, k}, evidence);
        },
        "ctx"_a, "rbm"_a, "v"_a, "h"_a, "first_step"_a, "k"_a, "clamp"_a = nb::none(), "field"_a = nb::none(),
        Release());
    m.def(
        "free_energy",
        [](Context& ctx, const Rbm& rbm, const Array& v, const Array& f) { free_energy(ctx, rbm, in(v, "v"), out(f, "f")); },
        "ctx"_a, "rbm"_a, "v"_a, "f"_a, Release());
    m.def(
        "cd_gradient",
        [](Context& ctx, const Rbm& rbm, const Array& data, const Array& chains, Rbm& grad, std::uint32_t first_step,
           std::uint32_t k, std::uint32_t first_chain, std::int64_t data_rows, std::int64_t sample_rows) {
            cd_gradient(ctx, rbm, in(data, "data"), out(chains, "chains"), grad, Steps{first_step, k},
                        RbmShard{first_chain, data_rows, sample_rows});
        },
        "ctx"_a, "rbm"_a, "data"_a, "chains"_a, "grad"_a, "first_step"_a, "k"_a, "first_chain"_a = 0,
        "data_rows"_a = 0, "sample_rows"_a = 0, Release());
    m.def(
        "rbm_gradient",
        [](Context& ctx, const Rbm& rbm, const Array& data, const Array& samples, Rbm& grad, std::int64_t data_rows,
           std::int64_t sample_rows) {
            rbm_gradient(ctx, rbm, in(data, "data"), in(samples, "samples"), grad, RbmShard{0, data_rows, sample_rows});
        },
        "ctx"_a, "rbm"_a, "data"_a, "samples"_a, "grad"_a, "data_rows"_a = 0, "sample_rows"_a = 0, Release());
    m.def("log_partition_exact", &log_partition_exact, "ctx"_a, "rbm"_a, Release());
    m.def(
        "log_partition_ais",
        [](Context& ctx, const Rbm& rbm, const Array& base, std::int64_t runs, std::vector<double> betas) {
            AisOptions o;
            o.runs = runs;
            o.betas = std::move(betas);
            const AisResult r = log_partition_ais(ctx, rbm, in(base, "base_visible_bias"), o);
            return nb::make_tuple(r.log_z, r.log_z_low, r.log_z_high);
        },
        "ctx"_a, "rbm"_a, "base_visible_bias"_a, "runs"_a = 100, "betas"_a = std::vector<double>{});
    m.def(
        "log_likelihood_raise",
        [](Context& ctx, const Rbm& rbm, const Array& base, const Array& v, std::int64_t runs, std::vector<double> betas) {
            AisOptions o;
            o.runs = runs;
            o.betas = std::move(betas);
            const ConstTensorView base_view = in(base, "base_visible_bias"), v_view = in(v, "v");
            RaiseResult r;
            {
                nb::gil_scoped_release released;  // a long call; the tuple below needs the GIL again
                r = log_likelihood_raise(ctx, rbm, base_view, v_view, o);
            }
            return nb::make_tuple(r.mean, r.std_error, r.log_likelihoods);
        },
        "ctx"_a, "rbm"_a, "base_visible_bias"_a, "v"_a, "runs"_a = 1, "betas"_a = std::vector<double>{});
    m.def(
        "pseudo_log_likelihood",
        [](Context& ctx, const Rbm& rbm, const Array& v, const Array& o) {
            pseudo_log_likelihood(ctx, rbm, in(v, "v"), out(o, "out"));
        },
        "ctx"_a, "rbm"_a, "v"_a, "out"_a, Release());

    ebmkit::python::bind_trainers(m);
    ebmkit::python::bind_sampling(m);
    ebmkit::python::bind_energies(m);
    ebmkit::python::bind_ood(m);
    ebmkit::python::bind_score(m);

    m.def(
        "save_safetensors",
        [](const std::string& path, const std::vector<std::pair<std::string, Array>>& tensors,
           const std::map<std::string, std::string>& metadata) {
            std::vector<std::pair<std::string, ConstTensorView>> views;
            for (const auto& [name, a] : tensors) views.emplace_back(name, in(a, name.c_str()));
            nb::gil_scoped_release release;
            save_safetensors(path, views, metadata);
        },
        "path"_a, "tensors"_a, "metadata"_a = std::map<std::string, std::string>{});
    m.def(
        "load_safetensors",
        [](const std::string& path) {
            auto* file = new SafeTensors(load_safetensors(path));
            nb::capsule owner(file, [](void* p) noexcept { delete static_cast<SafeTensors*>(p); });
            nb::dict tensors;
            for (const auto& [name, t] : file->tensors) tensors[name.c_str()] = exported(t.view(), owner);
            return nb::make_tuple(tensors, file->metadata);
        },
        "path"_a);
}
