// Langevin / MALA chains and the optimizers from Python.
#include <nanobind/nanobind.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <optional>

#include "arrays.hpp"
#include "names.hpp"
#include "ebmkit/ebmkit.hpp"

namespace nb = nanobind;
using namespace nb::literals;
using namespace ebmkit;

// Moves, never copies (its state is Tensors, which a vector hides from the trait).
template <>
struct nanobind::detail::is_copy_constructible<ebmkit::Optimizer> : std::false_type {};
template <>
struct nanobind::detail::is_copy_constructible<ebmkit::LangevinSampler> : std::false_type {};
template <>
struct nanobind::detail::is_copy_constructible<ebmkit::ReplayBuffer> : std::false_type {};
template <>
struct nanobind::detail::is_copy_constructible<ebmkit::ParallelTempering> : std::false_type {};

namespace ebmkit::python {

namespace {

// A Tensor ebmkit made, handed to Python: the array owns it.
nb::object owned(Tensor t) {
    auto* held = new Tensor(std::move(t));
    nb::capsule owner(held, [](void* p) noexcept { delete static_cast<Tensor*>(p); });
    return exported(held->view(), owner);
}

}  // namespace

void bind_sampling(nb::module_& m) {
    nb::class_<LangevinParams>(m, "LangevinParams")
        .def(nb::init<>())
        .def_rw("alpha", &LangevinParams::alpha)
        .def_rw("sigma", &LangevinParams::sigma)
        .def_rw("clamp", &LangevinParams::clamp)
        .def_rw("lo", &LangevinParams::lo)
        .def_rw("hi", &LangevinParams::hi)
        .def_rw("mala", &LangevinParams::mala)
        .def_rw("grad_clip", &LangevinParams::grad_clip)
        .def_rw("first_chain", &LangevinParams::first_chain);

    m.def(
        "langevin_chain",
        [](Context& ctx, const MlpEnergy& model, const Array& x, const LangevinParams& p, std::uint32_t first_step,
           std::uint32_t steps, std::optional<Array> labels, bool trace) {
            const TensorView chains = out(x, "x");
            std::optional<ConstTensorView> y;
            if (labels) y = in(*labels, "labels");
            LangevinStats s;
            {
                nb::gil_scoped_release release;
                s = y ? langevin_chain(ctx, model, *y, chains, p, Steps{first_step, steps}, trace)
                      : langevin_chain(ctx, model, chains, p, Steps{first_step, steps}, trace);
            }
            nb::dict stats;
            stats["proposals"] = s.proposals, stats["accepted"] = s.accepted;
            stats["acceptance_rate"] = s.acceptance_rate();
            stats["mean_energy"] = s.mean_energy, stats["acceptance"] = s.acceptance;
            return stats;
        },
        "ctx"_a, "model"_a, "x"_a, "params"_a, "first_step"_a, "steps"_a, "labels"_a = nb::none(), "trace"_a = false,
        "Langevin (or MALA) steps on the chains x [N, D] in place, Philox noise keyed by ctx.seed and the step");
    m.def(
        "langevin_chain_clamped",
        [](Context& ctx, const MlpEnergy& model, const Array& x, const LangevinParams& p, std::uint32_t first_step,
           std::uint32_t steps, std::optional<Array> labels, const Array& clamp) {
            const TensorView chains = out(x, "x");
            const ConstTensorView y = labels ? in(*labels, "labels") : ConstTensorView{};
            const ConstTensorView kept = in(clamp, "clamp");
            LangevinStats s;
            {
                nb::gil_scoped_release release;
                s = langevin_chain(ctx, model, y, chains, p, Steps{first_step, steps}, kept);
            }
            nb::dict stats;
            stats["proposals"] = s.proposals, stats["accepted"] = s.accepted;
            stats["acceptance_rate"] = s.acceptance_rate();
            return stats;
        },
        "ctx"_a, "model"_a, "x"_a, "params"_a, "first_step"_a, "steps"_a, "labels"_a = nb::none(), "clamp"_a,
        "Unadjusted Langevin steps on x [N, D] in place where clamp [N, D] is zero; nonzero entries keep their value");

    static const std::pair<ChainStart, const char*> starts[] = {{ChainStart::Uniform, "uniform"},
                                                                 {ChainStart::Normal, "normal"},
                                                                 {ChainStart::Data, "data"},
                                                                 {ChainStart::ReplayBuffer, "replay_buffer"},
                                                                 {ChainStart::Persistent, "persistent"}};
    nb::class_<SamplerOptions>(m, "SamplerOptions")
        .def(nb::init<>())
        .def_rw("step", &SamplerOptions::step)
        .def_rw("steps", &SamplerOptions::steps)
        .def_prop_rw(
            "start",
            [](const SamplerOptions& o) {
                for (const auto& [k, name] : starts) {
                    if (k == o.start) return std::string(name);
                }
                return std::string("?");
            },
            [](SamplerOptions& o, const std::string& name) {
                for (const auto& [k, n] : starts) {
                    if (name == n) {
                        o.start = k;
                        return;
                    }
                }
                throw nb::value_error(("start: '" + name + "' is none of uniform, normal, data, replay_buffer, persistent").c_str());
            })
        .def_rw("buffer_size", &SamplerOptions::buffer_size)
        .def_rw("reinit", &SamplerOptions::reinit)
        .def_rw("classes", &SamplerOptions::classes)
        .def_rw("shard", &SamplerOptions::shard, "data parallel: this sampler's part (its rank) of `shards`")
        .def_rw("shards", &SamplerOptions::shards);

    nb::class_<LangevinSampler>(m, "LangevinSampler",
                                "SGLD chains from uniform, normal, data, replay-buffer (JEM) or persistent starts")
        .def(nb::init<Context&, std::int64_t, const SamplerOptions&>(), "ctx"_a, "dim"_a, "options"_a = SamplerOptions(),
             nb::keep_alive<1, 2>())
        .def(
            "sample",
            [](LangevinSampler& s, const MlpEnergy& model, std::int64_t batch, std::optional<Array> data,
               std::optional<Array> labels) {
                const ConstTensorView d = data ? in(*data, "data") : ConstTensorView();
                const ConstTensorView y = labels ? in(*labels, "labels") : ConstTensorView();
                Tensor samples;
                {
                    nb::gil_scoped_release release;
                    samples = s.sample(model, batch, d, y);
                }
                return owned(std::move(samples));
            },
            "model"_a, "batch"_a, "data"_a = nb::none(), "labels"_a = nb::none(),
            "One round of batch chains: [batch, dim] samples on the context's device")
        .def_prop_ro("rounds", &LangevinSampler::rounds)
        .def(
            "buffer",
            [](nb::handle self) -> nb::object {
                const ReplayBuffer* b = nb::cast<LangevinSampler&>(self).buffer();
                if (!b) return nb::none();
                return exported(b->samples().view(), self);
            },
            "The replay buffer's samples [size, dim] (a view), or None");

    nb::class_<ReplayBuffer>(m, "ReplayBuffer",
                             "JEM's replay buffer: size chains [size, dim] from U(lo, hi), optionally one "
                             "segment per class; draws and stores keyed by Philox (ctx.seed, round)")
        .def(nb::init<Context&, std::int64_t, std::int64_t, float, float, std::int64_t>(), "ctx"_a, "size"_a, "dim"_a,
             "lo"_a = -1.0f, "hi"_a = 1.0f, "classes"_a = 1, nb::keep_alive<1, 2>())
        .def(
            "draw",
            [](const ReplayBuffer& b, std::int64_t batch, float reinit, std::uint32_t round,
               std::optional<Array> row_classes) {
                const ConstTensorView y = row_classes ? in(*row_classes, "row_classes") : ConstTensorView();
                Tensor slots, rows;
                {
                    nb::gil_scoped_release release;
                    rows = b.draw(batch, reinit, round, slots, y);
                }
                return nb::make_tuple(owned(std::move(rows)), owned(std::move(slots)));
            },
            "batch"_a, "reinit"_a, "round"_a, "row_classes"_a = nb::none(),
            "(rows [batch, dim], slots [batch] int32): buffer rows, a fraction reinit of them fresh U(lo, hi) "
            "noise (slot -1); row_classes [batch] int32 picks each row's segment when classes > 1")
        .def(
            "store",
            [](ReplayBuffer& b, const Array& slots, const Array& samples, std::uint32_t round,
               std::optional<Array> row_classes) {
                const ConstTensorView y = row_classes ? in(*row_classes, "row_classes") : ConstTensorView();
                const ConstTensorView sl = in(slots, "slots"), x = in(samples, "samples");
                nb::gil_scoped_release release;
                b.store(sl, x, round, y);
            },
            "slots"_a, "samples"_a, "round"_a, "row_classes"_a = nb::none(),
            "Writes samples row b to slots[b]; a row of slot -1 goes to a random slot of its round and class")
        .def(
            "samples", [](nb::handle self) { return exported(nb::cast<ReplayBuffer&>(self).samples().view(), self); },
            "The buffer's chains [size, dim] (a view)")
        .def("assign", [](ReplayBuffer& b, const Array& samples) { b.assign(in(samples, "samples")); }, "samples"_a,
             "Overwrites every chain (same shape)")
        .def_prop_ro("size", &ReplayBuffer::size)
        .def_prop_ro("classes", &ReplayBuffer::classes);

    m.def("geometric_betas", &geometric_betas, "replicas"_a, "beta_min"_a,
          "beta_r = beta_min^((R - 1 - r) / (R - 1)): a geometric ladder from beta_min to 1");
    nb::class_<ParallelTempering>(m, "ParallelTempering",
                                  "Parallel tempering of RBM chains: a replica per beta, block-Gibbs sweeps, "
                                  "even-odd swaps; states [R * chains, visible], replica-major")
        .def(nb::init<Context&, std::int64_t, std::int64_t, std::int64_t, std::vector<float>>(), "ctx"_a, "visible"_a,
             "hidden"_a, "chains"_a, "betas"_a, nb::keep_alive<1, 2>())
        .def("run", &ParallelTempering::run, "rbm"_a, "sweeps"_a, nb::call_guard<nb::gil_scoped_release>())
        .def(
            "reset", [](ParallelTempering& t, const Array& start) { t.reset(in(start, "start")); }, "start"_a,
            "Every replica of chain c restarts at start row c")
        .def(
            "samples", [](nb::handle self) { return exported(nb::cast<ParallelTempering&>(self).samples(), self); },
            "The beta = 1 replicas [chains, visible] (a view)")
        .def(
            "states", [](nb::handle self) { return exported(nb::cast<ParallelTempering&>(self).states().view(), self); },
            "Every replica [R * chains, visible] (a view; row r * chains + c)")
        .def_prop_ro("betas", &ParallelTempering::betas)
        .def_prop_ro("sweeps", &ParallelTempering::sweeps)
        .def("swaps_accepted", &ParallelTempering::swaps_accepted)
        .def("swaps_attempted", &ParallelTempering::swaps_attempted)
        .def("swap_rates", &ParallelTempering::swap_rates);

    nb::class_<OptimizerOptions>(m, "OptimizerOptions")
        .def(nb::init<>())
        .def_prop_rw(
            "kind", [](const OptimizerOptions& o) { return std::string(to_string(o.kind)); },
            [](OptimizerOptions& o, const std::string& name) {
                o.kind = python::parse<OptimizerKind>(name, "kind");
            })
        .def_rw("lr", &OptimizerOptions::lr)
        .def_rw("momentum", &OptimizerOptions::momentum)
        .def_rw("beta1", &OptimizerOptions::beta1)
        .def_rw("beta2", &OptimizerOptions::beta2)
        .def_rw("eps", &OptimizerOptions::eps)
        .def_rw("weight_decay", &OptimizerOptions::weight_decay);

    nb::class_<Optimizer>(m, "Optimizer", "SGD with momentum, Adam or Adamax over an MlpEnergy's parameters")
        .def(nb::init<const MlpEnergy&, const OptimizerOptions&>(), "model"_a, "options"_a = OptimizerOptions())
        .def("step", nb::overload_cast<Context&, MlpEnergy&, const MlpEnergy&>(&Optimizer::step), "ctx"_a, "model"_a,
             "grad"_a, nb::call_guard<nb::gil_scoped_release>())
        .def_prop_ro("steps", &Optimizer::steps)
        .def("set_lr", &Optimizer::set_lr, "lr"_a);
}

}  // namespace ebmkit::python
