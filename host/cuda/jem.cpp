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

class CudaJem final : public JemOps {
public:
    // scratch: the rows' terms [n + m], then the batch's sums (16-byte aligned after them).
    const std::int32_t* terms_and_gradient(Context& ctx, const MlpEnergy& model, ConstTensorView x,
                                           ConstTensorView labels, ConstTensorView samples, const JemLoss& loss,
                                           MlpEnergy& grad, Tensor& scratch) const override {
        const NvtxRange range("ebmkit.jem.terms_and_gradient");
        constexpr const char* op = "JemTrainer::step";
        static_assert(sizeof(kernels::JemRowTerms) == 4 * sizeof(float) && sizeof(kernels::JemBatchSums) % 4 == 0);
        const std::int64_t n = x.dim(0), m = samples.empty() ? 0 : samples.dim(0);
        const std::int64_t words = 4 * (n + m) + sums_words;
        if (scratch.empty() || scratch.numel() < words) scratch = Tensor({words}, DType::I32, ctx);
        auto* terms = reinterpret_cast<kernels::JemRowTerms*>(scratch.data<std::int32_t>());
        const auto cw = static_cast<float>(loss.classifier), gw = static_cast<float>(loss.generative),
                   l2 = static_cast<float>(loss.energy_l2);
        jem_param_grad_cuda(op, ctx, model, x, labels.data<std::int32_t>(),
                            {cw, gw, l2, 1.0f / static_cast<float>(loss.data_rows_total), true}, terms, grad, false);
        if (m > 0) {
            jem_param_grad_cuda(op, ctx, model, samples, nullptr,
                                {cw, gw, l2, 1.0f / static_cast<float>(loss.sample_rows_total), false}, terms + n,
                                grad, true);
        }
        kernels::JemBatchSums* sums = sums_of(scratch, n, m);
        kernels::jem_batch_sums(terms, n, terms + n, m, sums,
                                {loss.classifier, loss.generative, loss.energy_l2, loss.max_energy_gap}, ctx.stream());
        return &sums->skip;
    }
    JemReadout read_stats(Context& ctx, const Tensor& scratch, const JemLoss& loss, std::int64_t n,
                          std::int64_t m) const override {
        const NvtxRange range("ebmkit.jem.read_stats");
        // The iteration's one copy to the host, and its one wait.
        kernels::JemBatchSums sums{};
        read_back(ctx, sums_of(scratch, n, m), &sums, sizeof sums);
        const kernels::JemMeans mean = kernels::jem_means(sums, n, m, loss.classifier, loss.generative, loss.energy_l2);
        JemReadout out;
        out.stats.loss = mean.loss;
        out.stats.cross_entropy = mean.cross_entropy;
        out.stats.energy_data = mean.energy_data;
        out.stats.energy_sample = mean.energy_sample;
        out.stats.accuracy = mean.accuracy;
        out.first_bad_label = sums.first_bad_label;
        out.skip = sums.skip != 0;
        return out;
    }

private:
    static constexpr auto sums_words = static_cast<std::int64_t>(sizeof(kernels::JemBatchSums) / 4);
    static kernels::JemBatchSums* sums_of(const Tensor& scratch, std::int64_t n, std::int64_t m) {
        return reinterpret_cast<kernels::JemBatchSums*>(const_cast<std::int32_t*>(scratch.data<std::int32_t>()) +
                                                        4 * (n + m));
    }
};

}  // namespace

const JemOps& cuda_jem_ops() {
    static const CudaJem ops;
    return ops;
}

}  // namespace ebmkit::detail
