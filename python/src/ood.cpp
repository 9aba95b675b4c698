// Out-of-distribution metrics from Python (include/ebmkit/ood.hpp): two 1-D float32
// arrays of scores in, a dict of (value, low, high) per metric out.
#include <nanobind/nanobind.h>

#include <vector>

#include "arrays.hpp"
#include "ebmkit/ebmkit.hpp"

namespace nb = nanobind;
using namespace nb::literals;

namespace ebmkit::python {

namespace {

std::vector<float> scores_of(const Array& a, const char* name) {
    const ConstTensorView v = in(a, name);
    if (v.dtype() != DType::F32 || v.shape().rank() != 1) {
        throw nb::value_error((std::string("ood_metrics: ") + name + " must be a 1-D float32 array").c_str());
    }
    std::vector<float> out(static_cast<std::size_t>(v.numel()));
    copy(v, TensorView(out.data(), v.shape(), DType::F32, Device::Host));
    return out;
}

nb::tuple triple(const RankMetric& m) { return nb::make_tuple(m.value, m.low, m.high); }

nb::list list_of(const std::vector<float>& v) {
    nb::list out;
    for (float x : v) out.append(x);
    return out;
}

}  // namespace

void bind_ood(nb::module_& m) {
    m.def(
        "ood_metrics",
        [](const Array& in_scores, const Array& out_scores, int reps, std::uint64_t seed) {
            const std::vector<float> a = scores_of(in_scores, "in_scores"), b = scores_of(out_scores, "out_scores");
            OodMetrics r;
            {
                nb::gil_scoped_release release;
                r = ood_metrics(a, b, reps, seed);
            }
            nb::dict out;
            out["auroc"] = triple(r.auroc);
            out["aupr_in"] = triple(r.aupr_in);
            out["aupr_out"] = triple(r.aupr_out);
            out["fpr_at_95_tpr"] = triple(r.fpr_at_95_tpr);
            return out;
        },
        "in_scores"_a, "out_scores"_a, "reps"_a = 1000, "seed"_a = 0,
        "AUROC, AUPR (in and out) and the FPR at 95% TPR of scores that rank in-distribution inputs higher, each "
        "(value, low, high) with a 95% bootstrap interval over reps resamples");
    m.def(
        "jem_ood_scores",
        [](Context& ctx, const MlpEnergy& model, const Array& x) {
            const ConstTensorView xs = in(x, "x");
            JemOodScores s;
            {
                nb::gil_scoped_release release;
                s = jem_ood_scores(ctx, model, xs);
            }
            nb::dict out;
            out["log_density"] = list_of(s.log_density);
            out["max_softmax"] = list_of(s.max_softmax);
            out["neg_grad_norm"] = list_of(s.neg_grad_norm);
            return out;
        },
        "ctx"_a, "model"_a, "x"_a, "A JEM's scores per row of x, each higher for rows more like its data: -E(x), "
        "max_y p(y | x), -|grad_x log p(x)|");
    m.def(
        "rbm_ood_scores",
        [](Context& ctx, const Rbm& rbm, const Array& v) {
            const ConstTensorView vs = in(v, "v");
            std::vector<float> s;
            {
                nb::gil_scoped_release release;
                s = rbm_ood_scores(ctx, rbm, vs);
            }
            return list_of(s);
        },
        "ctx"_a, "rbm"_a, "v"_a, "An RBM's score -F(v) per row of v");
}

}  // namespace ebmkit::python
