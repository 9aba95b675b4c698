// The backend seam (docs/ARCHITECTURE.md §4): one operations interface per kernel
// family, a CPU implementation of each in host/cpu/ and a CUDA one in host/cuda/, and
// the one choice between them, made from the Context (ops(), host/context.cpp). The
// public functions in host/*.cpp check their arguments, then call ops(ctx).FAMILY; the
// trainers and samplers compose those calls and never ask where they run.
//
// An operation's arguments are valid when it is called (shapes, devices, aliasing,
// parameter ranges: the public function checked them), so it checks nothing. On CUDA it
// queues work on ctx's stream, allocations and copies included (docs/ARCHITECTURE.md
// §5); the host waits only where it returns host values.
#pragma once

#include "ebmkit/context.hpp"
#include "graph.hpp"
#include "jem.hpp"
#include "langevin.hpp"
#include "logsumexp.hpp"
#include "mlp.hpp"
#include "optim.hpp"
#include "rbm.hpp"
#include "sample_steps.hpp"
#include "sampler.hpp"
#include "score.hpp"
#include "tempering.hpp"

namespace ebmkit::detail {

// One backend's implementation of every family.
struct Ops {
    const LogsumexpOps& logsumexp;
    const MlpOps& mlp;
    const LangevinOps& langevin;
    const SamplerOps& sampler;
    const JemOps& jem;
    const OptimOps& optim;
    const RbmOps& rbm;
    const TemperingOps& tempering;
    const GraphOps& graph;
    const SampleStepOps& sample_steps;
    const ScoreOps& score;
};

// The operations of ctx's backend: the one place the backend is chosen (host/context.cpp).
const Ops& ops(const Context& ctx);

// Each backend's table: host/cpu/ops.cpp; host/cuda/ops.cpp in a CUDA build, else
// host/no_cuda.cpp (an Error: a cuda context cannot be made without CUDA).
const Ops& cpu_ops();
const Ops& cuda_ops();

}  // namespace ebmkit::detail
