// The score family on CUDA (host/ops/score.hpp): its second-order kernels (issue 29's
// fused forward / backward / backward-of-backward) are not written yet, so every
// operation refuses with the fallback named.
#include <string>

#include "ebmkit/error.hpp"
#include "families.hpp"

namespace ebmkit::detail {

namespace {

[[noreturn]] void refuse(const char* op) {
    throw Error(std::string(op) +
                ": score matching has no CUDA kernels yet; run it on a CPU context (Context(Device::Host))");
}

class CudaScore final : public ScoreOps {
public:
    void draw_perturbation(Context&, const float*, int, std::int64_t, std::int64_t, ScoreDrawKey, float*,
                           float*) const override {
        refuse("score draws");
    }
    void draw_projections(Context&, Projection, std::int64_t, std::int64_t, ScoreDrawKey, float*) const override {
        refuse("score draws");
    }
    void denoising(const char* op, Context&, const MlpEnergy&, ConstTensorView, const float*, const float*,
                   const DenoisingScoreOptions&, double, float*, MlpEnergy*) const override {
        refuse(op);
    }
    void sliced(const char* op, Context&, const MlpEnergy&, ConstTensorView, const float*, bool, double, float*,
                MlpEnergy*) const override {
        refuse(op);
    }
    void tweedie(const char* op, Context&, const MlpEnergy&, TensorView, float) const override { refuse(op); }
};

}  // namespace

const ScoreOps& cuda_score_ops() {
    static const CudaScore ops;
    return ops;
}

}  // namespace ebmkit::detail
