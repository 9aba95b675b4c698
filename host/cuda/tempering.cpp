// The CUDA parallel-tempering operation (host/ops/tempering.hpp): kernels/tempering.cu.
#include "families.hpp"
#include "kernels/tempering.hpp"
#include "rbm_params.hpp"
#include "nvtx.hpp"

namespace ebmkit::detail {

namespace {

class CudaTempering final : public TemperingOps {
public:
    void sweeps(Context& ctx, const Rbm& rbm, const float*, const float* betas_on_device, int replicas,
                std::int64_t chains, float* v, float* h, Steps sweeps, std::uint64_t* accepted) const override {
        const NvtxRange range("ebmkit.tempering.sweeps");
        kernels::TemperingSweeps::run({rbm_params(ctx, rbm), betas_on_device, replicas, chains, v, h, ctx.seed(), sweeps,
                                       reinterpret_cast<unsigned long long*>(accepted)},
                                      nullptr, ctx.stream());
    }
};

}  // namespace

const TemperingOps& cuda_tempering_ops() {
    static const CudaTempering ops;
    return ops;
}

}  // namespace ebmkit::detail
