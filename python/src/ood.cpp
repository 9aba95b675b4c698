// Out-of-distribution metrics from Python (include/ebmkit/ood.hpp): two 1-D float32
// arrays of scores in, a dict of (value, low, high) per metric out.
#include <nanobind/nanobind.h>

#include <string>
#include <vector>

#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>

#include "arrays.hpp"
#include "names.hpp"
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
    m.def(
        "roc_curve",
        [](const Array& in_scores, const Array& out_scores) {
            const std::vector<RocPoint> c =
                roc_curve(scores_of(in_scores, "in_scores"), scores_of(out_scores, "out_scores"));
            nb::list fpr, tpr;
            for (const RocPoint& p : c) fpr.append(p.fpr), tpr.append(p.tpr);
            return nb::make_tuple(fpr, tpr);
        },
        "in_scores"_a, "out_scores"_a,
        "(false-positive rates, true-positive rates) with each distinct score as the threshold, from (0, 0) to (1, 1)");
    m.def(
        "make_ood_set",
        [](const std::string& set, const Array& images, std::int64_t height, std::int64_t width, std::uint64_t seed) {
            const OodSet which = parse<OodSet>(set, "set");
            const Tensor host = Tensor::copy_of(in(images, "images"), Device::Host);
            auto* held = new Tensor(make_ood_set(which, host, height, width, seed));
            nb::capsule owner(held, [](void* p) noexcept { delete static_cast<Tensor*>(p); });
            const std::size_t shape[2] = {static_cast<std::size_t>(held->dim(0)), static_cast<std::size_t>(held->dim(1))};
            return nb::ndarray<nb::numpy, float>(held->data<float>(), 2, shape, owner);
        },
        "set"_a, "images"_a, "height"_a, "width"_a, "seed"_a = 0,
        "An out-of-distribution set made from images [N, height * width] in [0, 1]: uniform, gaussian, constant, "
        "flip, invert or permute (a float32 NumPy array of the same shape)");
    m.def(
        "make_mask",
        [](const std::string& kind, std::int64_t rows, std::int64_t height, std::int64_t width, double rate,
           std::uint64_t seed) {
            auto* held = new Tensor(make_mask(parse<MaskKind>(kind, "kind"), rows, height, width, rate, seed));
            nb::capsule owner(held, [](void* p) noexcept { delete static_cast<Tensor*>(p); });
            const std::size_t shape[2] = {static_cast<std::size_t>(held->dim(0)), static_cast<std::size_t>(held->dim(1))};
            return nb::ndarray<nb::numpy, float>(held->data<float>(), 2, shape, owner);
        },
        "kind"_a, "rows"_a, "height"_a, "width"_a, "rate"_a = 0.5, "seed"_a = 0,
        "An inpainting mask [rows, height * width], 1 where a pixel is observed: top, left, box or random");
    m.def(
        "restoration_error",
        [](const Array& restored, const Array& truth, const Array& mask) {
            const RestorationError e =
                restoration_error(Tensor::copy_of(in(restored, "restored"), Device::Host),
                                  Tensor::copy_of(in(truth, "truth"), Device::Host), Tensor::copy_of(in(mask, "mask"), Device::Host));
            nb::dict out;
            out["mse"] = e.mse, out["cross_entropy"] = e.cross_entropy, out["missing"] = e.missing;
            return out;
        },
        "restored"_a, "truth"_a, "mask"_a, "Mean squared error and cross-entropy over the missing pixels");
}

}  // namespace ebmkit::python
