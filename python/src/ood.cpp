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
}

}  // namespace ebmkit::python
