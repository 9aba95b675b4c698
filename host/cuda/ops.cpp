// The CUDA backend's table (host/ops/ops.hpp), compiled in a CUDA build only.
#include "families.hpp"

namespace ebmkit::detail {

const Ops& cuda_ops() {
    static const Ops ops{cuda_logsumexp_ops(), cuda_mlp_ops(),   cuda_langevin_ops(), cuda_sampler_ops(),
                         cuda_jem_ops(),       cuda_optim_ops(), cuda_rbm_ops(),      cuda_tempering_ops(),
                         cuda_graph_ops(),     cuda_sample_step_ops(), cuda_score_ops()};
    return ops;
}

}  // namespace ebmkit::detail
