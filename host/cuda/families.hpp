// Each family's CUDA operations (host/cuda/FAMILY.cpp), gathered into the CUDA
// backend's table by host/cuda/ops.cpp.
#pragma once

#include "host/ops/ops.hpp"

namespace ebmkit::detail {

const LogsumexpOps& cuda_logsumexp_ops();
const MlpOps& cuda_mlp_ops();
const LangevinOps& cuda_langevin_ops();
const SamplerOps& cuda_sampler_ops();
const JemOps& cuda_jem_ops();
const OptimOps& cuda_optim_ops();
const RbmOps& cuda_rbm_ops();
const TemperingOps& cuda_tempering_ops();
const GraphOps& cuda_graph_ops();
const SampleStepOps& cuda_sample_step_ops();
const ScoreOps& cuda_score_ops();

}  // namespace ebmkit::detail
