// The CUDA JEM operation (host/ops/jem.hpp): each set's head and parameter gradient
// with one forward pass (host/cuda/mlp.cpp), the batch's sums on the device, and the
// iteration's one copy to the host: those sums.
#include "families.hpp"
#include "host/device_memory.hpp"
#include "kernels/jem.hpp"
#include "mlp_layers.hpp"
#include "nvtx.hpp"

namespace ebmkit::detail {

namespace {

// The iteration's statistics from the device's sums.
JemStepStats stats_of(const kernels::JemBatchSums& b, std::int64_t n, std::int64_t m, double cw, double gw, double l2) {
    JemStepStats s;
    s.cross_entropy = b.cross_entropy / n;
    s.energy_data = b.energy_data / n;
    s.accuracy = b.correct / n;
    s.energy_sample = m ? b.energy_sample / m : 0.0;
    s.loss = cw * s.cross_entropy + gw * (s.energy_data - s.energy_sample) +
             l2 * (b.energy_data_sq / n + (m ? b.energy_sample_sq / m : 0.0));
    return s;
}

class CudaJem final : public JemOps {
public:
    // scratch: the rows' terms [n + m], then the batch's sums (16-byte aligned after them).
    JemStepStats terms_and_gradient(Context& ctx, const MlpEnergy& model, ConstTensorView x, ConstTensorView labels,
                                    ConstTensorView samples, const JemLoss& loss, MlpEnergy& grad, Tensor& scratch,
                                    std::int64_t& first_bad_label) const override {
        const NvtxRange range("ebmkit.jem.terms_and_gradient");
        constexpr const char* op = "JemTrainer::step";
        static_assert(sizeof(kernels::JemRowTerms) == 4 * sizeof(float) && sizeof(kernels::JemBatchSums) % 4 == 0);
        const std::int64_t n = x.dim(0), m = samples.empty() ? 0 : samples.dim(0);
        constexpr auto sums_words = static_cast<std::int64_t>(sizeof(kernels::JemBatchSums) / 4);
        const std::int64_t words = 4 * (n + m) + sums_words;
        if (scratch.empty() || scratch.numel() < words) scratch = Tensor({words}, DType::I32, ctx);
        auto* terms = reinterpret_cast<kernels::JemRowTerms*>(scratch.data<std::int32_t>());
        std::int32_t* sums_words_on_device = scratch.data<std::int32_t>() + 4 * (n + m);
        const auto cw = static_cast<float>(loss.classifier), gw = static_cast<float>(loss.generative),
                   l2 = static_cast<float>(loss.energy_l2);
        jem_param_grad_cuda(op, ctx, model, x, labels.data<std::int32_t>(),
                            {cw, gw, l2, 1.0f / static_cast<float>(loss.data_rows_total), true}, terms, grad, false);
        if (m > 0) {
            jem_param_grad_cuda(op, ctx, model, samples, nullptr,
                                {cw, gw, l2, 1.0f / static_cast<float>(loss.sample_rows_total), false}, terms + n,
                                grad, true);
        }
        kernels::jem_batch_sums(terms, n, terms + n, m,
                                reinterpret_cast<kernels::JemBatchSums*>(sums_words_on_device), ctx.stream());
        // The iteration's one copy to the host, and its one wait.
        kernels::JemBatchSums sums{};
        read_back(ctx, sums_words_on_device, &sums, sizeof sums);
        first_bad_label = sums.first_bad_label;
        return stats_of(sums, n, m, loss.classifier, loss.generative, loss.energy_l2);
    }
};

}  // namespace

const JemOps& cuda_jem_ops() {
    static const CudaJem ops;
    return ops;
}

}  // namespace ebmkit::detail
