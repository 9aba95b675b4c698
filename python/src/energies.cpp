// The samplers for any energy from Python (include/ebmkit/sample.hpp): the shipped
// energies (include/ebmkit/energies.hpp), SampleParams and sample(), which runs on the
// context's backend (the library compiles the shipped energies' chains for both).
#include <nanobind/nanobind.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <optional>
#include <string>
#include <vector>

#include "arrays.hpp"
#include "names.hpp"
#include "ebmkit/ebmkit.hpp"

namespace nb = nanobind;
using namespace nb::literals;
using namespace ebmkit;

namespace ebmkit::python {

namespace {

// The statistics as a dict: proposals, accepted, acceptance_rate, and with a trace
// mean_energy [steps], trace (a float32 NumPy array [steps, N, D]), ess and split_r_hat [D].
nb::dict stats_of(SampleStats s, std::int64_t rows, std::int64_t d, std::uint32_t steps) {
    nb::dict out;
    out["proposals"] = s.proposals, out["accepted"] = s.accepted;
    out["acceptance_rate"] = s.acceptance_rate();
    if (!s.trace.empty()) {
        out["mean_energy"] = s.mean_energy;
        auto* held = new std::vector<float>(std::move(s.trace));
        nb::capsule owner(held, [](void* p) noexcept { delete static_cast<std::vector<float>*>(p); });
        const std::size_t shape[3] = {steps, static_cast<std::size_t>(rows), static_cast<std::size_t>(d)};
        out["trace"] = nb::ndarray<nb::numpy, float>(held->data(), 3, shape, owner);
        out["ess"] = s.diagnostics.effective_sample_size;
        out["split_r_hat"] = s.diagnostics.split_r_hat;
    }
    return out;
}

template <class E>
void bind_sample(nb::module_& m) {
    m.def(
        "sample",
        [](Context& ctx, const E& energy, const Array& x, const SampleParams& p, std::uint32_t first_step,
           std::uint32_t steps, bool trace) {
            const TensorView chains = out(x, "x");
            SampleStats s;
            {
                nb::gil_scoped_release release;
                s = sample(ctx, energy, chains, p, Steps{first_step, steps}, trace);
            }
            return stats_of(std::move(s), chains.dim(0), energy.dim(), trace ? steps : 0);
        },
        "ctx"_a, "energy"_a, "x"_a, "params"_a, "first_step"_a, "steps"_a, "trace"_a = false);
}

}  // namespace

void bind_energies(nb::module_& m) {
    nb::class_<SampleParams>(m, "SampleParams",
                             "A sampler (ula, mala, hmc), its step (alpha, or HMC's eps), temperature, HMC's "
                             "leapfrog steps and mass, and the first chain's index")
        .def(nb::init<>())
        .def_prop_rw(
            "sampler", [](const SampleParams& p) { return std::string(to_string(p.kind)); },
            [](SampleParams& p, const std::string& name) { p.kind = parse<SamplerKind>(name, "sampler"); })
        .def_rw("step", &SampleParams::step)
        .def_rw("temperature", &SampleParams::temperature)
        .def_rw("leapfrog", &SampleParams::leapfrog)
        .def_rw("mass", &SampleParams::mass)
        .def_rw("first_chain", &SampleParams::first_chain)
        .def_prop_ro("sigma", &SampleParams::sigma);

    nb::class_<GaussianEnergy>(m, "GaussianEnergy", "E = (x - m)^T P (x - m) / 2, N(m, C) with P = C^-1")
        .def_static("from_covariance", &GaussianEnergy::from_covariance, "mean"_a, "covariance"_a)
        .def_prop_ro("dim", &GaussianEnergy::dim);
    nb::class_<GaussianMixtureEnergy>(m, "GaussianMixtureEnergy", "E = -log sum_k w_k N(x; m_k, s_k^2 I)")
        .def_static("from_components", &GaussianMixtureEnergy::from, "weights"_a, "means"_a, "stds"_a, "dim"_a)
        .def_prop_ro("dim", &GaussianMixtureEnergy::dim);
    nb::class_<DoubleWellEnergy>(m, "DoubleWellEnergy", "E = a (x_0^2 - 1)^2 + sum_{i>0} x_i^2 / 2")
        .def("__init__", [](DoubleWellEnergy* e, int dim, float a) {
            if (dim < 1) throw nb::value_error("DoubleWellEnergy: dim must be >= 1");
            new (e) DoubleWellEnergy{dim, a};
        }, "dim"_a = 1, "a"_a = 1.0f)
        .def_prop_ro("dim", &DoubleWellEnergy::dim);
    nb::class_<BananaEnergy>(m, "BananaEnergy", "E = x_0^2 / (2 s^2) + (x_1 - b (x_0^2 - s^2))^2 / 2")
        .def("__init__", [](BananaEnergy* e, float s, float b) { new (e) BananaEnergy{s, b}; }, "s"_a = 1.0f,
             "b"_a = 1.0f)
        .def_prop_ro("dim", &BananaEnergy::dim);

    // Diagnostics of any chains' output (a peer's included): values [draws, chains].
    auto series = [](const Array& values, const char* op) {
        const ConstTensorView v = in(values, "values");
        if (v.rank() != 2 || v.dtype() != DType::F32 || v.device() != Device::Host) {
            throw nb::value_error((std::string(op) + ": values must be a float32 host array [draws, chains]").c_str());
        }
        return v;
    };
    m.def(
        "effective_sample_size",
        [series](const Array& values) {
            const ConstTensorView v = series(values, "effective_sample_size");
            return effective_sample_size(v.data<float>(), v.dim(0), v.dim(1), v.dim(1), 1);
        },
        "values"_a, "ESS of values [draws, chains] (Geyer's initial monotone sequence over the chains)");
    m.def(
        "split_r_hat",
        [series](const Array& values) {
            const ConstTensorView v = series(values, "split_r_hat");
            return split_r_hat(v.data<float>(), v.dim(0), v.dim(1), v.dim(1), 1);
        },
        "values"_a, "split R-hat of values [draws, chains]");

    // The steps on arrays (ebmkit/sample_steps.hpp), for energies computed in Python.
    m.def(
        "sample_propose",
        [](Context& ctx, const Array& x, const Array& grad, const SampleParams& p, std::uint32_t step, const Array& proposal) {
            const ConstTensorView xv = in(x, "x"), gv = in(grad, "grad");
            const TensorView pv = out(proposal, "proposal");
            nb::gil_scoped_release release;
            sample_propose(ctx, xv, gv, p, step, pv);
        },
        "ctx"_a, "x"_a, "grad"_a, "params"_a, "step"_a, "proposal"_a);
    m.def(
        "sample_momentum",
        [](Context& ctx, const Array& momentum, const SampleParams& p, std::uint32_t step, std::optional<Array> mass) {
            const TensorView mv = out(momentum, "momentum");
            const ConstTensorView masses = mass ? in(*mass, "mass") : ConstTensorView();
            nb::gil_scoped_release release;
            sample_momentum(ctx, mv, p, step, masses);
        },
        "ctx"_a, "momentum"_a, "params"_a, "step"_a, "mass"_a = nb::none());
    m.def(
        "sample_accept",
        [](Context& ctx, const Array& x, const Array& energy, const Array& grad, const Array& proposal,
           const Array& proposal_energy, const Array& proposal_grad, const SampleParams& p, std::uint32_t step,
           const Array& accepted, std::optional<Array> momentum, std::optional<Array> proposal_momentum,
           std::optional<Array> mass) {
            const TensorView xv = out(x, "x"), ev = out(energy, "energy"), gv = out(grad, "grad"),
                             av = out(accepted, "accepted");
            const ConstTensorView pxv = in(proposal, "proposal"), pev = in(proposal_energy, "proposal_energy"),
                                  pgv = in(proposal_grad, "proposal_grad");
            const ConstTensorView m0 = momentum ? in(*momentum, "momentum") : ConstTensorView();
            const ConstTensorView m1 = proposal_momentum ? in(*proposal_momentum, "proposal_momentum") : ConstTensorView();
            const ConstTensorView masses = mass ? in(*mass, "mass") : ConstTensorView();
            nb::gil_scoped_release release;
            sample_accept(ctx, xv, ev, gv, pxv, pev, pgv, p, step, av, m0, m1, masses);
        },
        "ctx"_a, "x"_a, "energy"_a, "grad"_a, "proposal"_a, "proposal_energy"_a, "proposal_grad"_a, "params"_a, "step"_a,
        "accepted"_a, "momentum"_a = nb::none(), "proposal_momentum"_a = nb::none(), "mass"_a = nb::none());

    m.def(
        "sample_mlp",
        [](Context& ctx, const MlpEnergy& model, int label, const Array& x, const SampleParams& p,
           std::uint32_t first_step, std::uint32_t steps, bool trace) {
            const TensorView chains = out(x, "x");
            const MlpEnergyView view = MlpEnergyView::of(model, label);
            SampleStats s;
            {
                nb::gil_scoped_release release;
                s = sample(ctx, view, chains, p, Steps{first_step, steps}, trace);
            }
            return stats_of(std::move(s), chains.dim(0), view.dim(), trace ? steps : 0);
        },
        "ctx"_a, "model"_a, "label"_a, "x"_a, "params"_a, "first_step"_a, "steps"_a, "trace"_a = false,
        "The samplers on an MLP's energy (ebmkit/mlp_energy_view.hpp), E(x) or E(x | label) for label >= 0");
    m.def(
        "sample_statistics",
        [](std::int64_t rows, std::int64_t dim, std::uint32_t steps, std::int64_t accepted, std::optional<Array> trace,
           std::optional<Array> energies) {
            // A Python callable's chains (ebmkit.sample): the statistics sample() returns.
            std::vector<float> states, values;
            if (trace && energies) {
                const ConstTensorView t = in(*trace, "trace"), e = in(*energies, "energies");
                states.assign(t.data<float>(), t.data<float>() + t.numel());
                values.assign(e.data<float>(), e.data<float>() + e.numel());
            }
            return stats_of(detail::sample_stats(rows, dim, steps, accepted, std::move(states), values), rows, dim,
                            trace ? steps : 0);
        },
        "rows"_a, "dim"_a, "steps"_a, "accepted"_a, "trace"_a = nb::none(), "energies"_a = nb::none(),
        "The statistics and diagnostics of chains traced as [steps, rows, dim] with energies [steps, rows]");
    bind_sample<GaussianEnergy>(m);
    bind_sample<GaussianMixtureEnergy>(m);
    bind_sample<DoubleWellEnergy>(m);
    bind_sample<BananaEnergy>(m);
}

}  // namespace ebmkit::python
