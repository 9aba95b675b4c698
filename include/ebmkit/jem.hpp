/// @file
/// JEM training (Grathwohl et al. 2020; Tomczak, Deep Generative Modeling, ch. 6): one
/// MLP is a classifier p(y|x) = softmax f(x) and an energy E(x) = -LSE f(x). Per batch
///   L = cw * CE(f(x), y) + gw * (mean E(x_data) - mean E(x_sample)) + l2 * mean(E(x_data)^2 + E(x_sample)^2)
/// with x_sample from SGLD started in a replay buffer (LangevinSampler; optionally
/// class-conditional, x_sample ~ exp(-E(x, y)) for random y), the parameter
/// gradient through param_grad, and an Optimizer step. A divergence guard rolls back
/// to the last good state when the loss is not finite or the energy gap runs away.
///
/// Data parallel (a Communicator of N ranks, e.g. mpirun -np N): options.batch is the
/// global batch; each rank takes its B / N rows of every global batch (the shuffle is
/// keyed by the seed alone, so the shards' union is the one-rank batch), samples B / N
/// chains that are rows rank * B / N ... of the global batch in every Philox key, keeps
/// its own part of the replay buffer (SamplerOptions::shard), and scales its gradient as
/// a part of the global batch's mean; one all-reduce of the flat gradient per iteration
/// (and one of six statistics) makes every rank take the same optimizer step. One rank
/// runs exactly what no communicator does.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ebmkit/communicator.hpp"
#include "ebmkit/context.hpp"
#include "ebmkit/mlp.hpp"
#include "ebmkit/optim.hpp"
#include "ebmkit/sampler.hpp"
#include "ebmkit/tensor.hpp"

namespace ebmkit {

namespace detail {
struct JemLoss;     ///< host/ops/jem.hpp
struct JemReadout;  ///< host/ops/jem.hpp
struct Recording;   ///< host/ops/graph.hpp
}  // namespace detail

/// JEM's training recipe (Grathwohl et al. 2020): loss = classifier_weight CE(f(x), y)
/// + generative_weight (mean E(x) - mean E(x_sample)) + energy_l2 (mean E(x)^2 + mean E(x_sample)^2).
struct JemTrainOptions {
    std::int64_t batch = 64;  ///< rows per iteration (the global batch with several ranks)
    SamplerOptions sampler;        ///< JEM: 20 SGLD steps, alpha 1, sigma 0.01, clamp [-1, 1], buffer 10000, 5% reinit
    float classifier_weight = 1.0f;  ///< the cross-entropy's weight
    float generative_weight = 1.0f;  ///< 0: a plain classifier (no sampling)
    float energy_l2 = 0.0f;          ///< the energies' L2 penalty (keeps them from drifting)
    /// JEM's class_cond_p_x_sample: each sample's chain runs on E(x, y) for a class y
    /// drawn uniformly (Philox, SampleLabel) in a replay buffer split into one segment
    /// per class (the buffer size must be a multiple of K).
    bool class_conditional = false;
    OptimizerOptions optimizer;    ///< Adamax, lr 1e-3
    double max_energy_gap = 1e4;   ///< |mean E(data) - mean E(sample)| beyond this counts as divergence
    std::int64_t snapshot_every = 100;  ///< good iterations between snapshots of the state
};

/// One iteration's (or an epoch's mean) statistics.
struct JemStepStats {
    double loss = 0;           ///< the loss above
    double cross_entropy = 0;  ///< its classification term
    double energy_data = 0;    ///< mean E(x) over the batch
    double energy_sample = 0;  ///< mean E(x_sample) over the chains' samples
    double accuracy = 0;       ///< the batch's classification accuracy
    bool rolled_back = false;  ///< the guard restored the last good state instead of updating
    bool interrupted = false;  ///< train_epoch: stopped early on request, the epoch not finished
};

/// A model's scores on a labelled set.
struct JemEvaluation {
    double accuracy = 0;     ///< classification accuracy
    double mean_energy = 0;  ///< mean E(x)
    double calibration_error = 0;  ///< expected calibration error, 15 equal-width confidence bins
};

/// Trains an MLP energy as a JEM: a classifier whose logits' LogSumExp is also an
/// energy, its samples drawn by SGLD from a replay buffer (LangevinSampler), with a
/// divergence guard that rolls back, and checkpoints that resume bit for bit.
class JemTrainer {
public:
    /// Trains model in place on the context's backend; ctx.seed() keys sampling and shuffling.
    /// With a communicator of N ranks, options.batch and options.sampler.buffer_size must
    /// be multiples of N (every rank must construct its trainer with the same options).
    JemTrainer(Context& ctx, MlpEnergy& model, const JemTrainOptions& options, Communicator comm = Communicator());
    ~JemTrainer();

    /// One iteration on x [B, D] (values in [-1, 1]) and labels [B] int32, both on ctx.device().
    /// With N ranks: x and labels are this rank's rows of a global batch of N * B, every
    /// rank passing the same B, and the statistics are the global batch's (every rank
    /// calls step; a bad label on any rank throws on all of them).
    JemStepStats step(ConstTensorView x, ConstTensorView labels);
    /// The loss and its parameter gradient at the current parameters for given samples;
    /// nothing is updated (the test of the gradient uses it). With N ranks: this rank's
    /// statistics, and its part of the global batch's gradient (divided by N times its
    /// rows), which the ranks' sum makes whole; no collective.
    JemStepStats loss_and_gradient(ConstTensorView x, ConstTensorView labels, ConstTensorView samples, MlpEnergy& grad);
    /// One pass over images [N, D] and labels [N] (host), shuffled with (seed, epoch), full batches only.
    /// stop (nullable, e.g. set by a signal handler) is read after every batch: once it
    /// is true the pass returns, interrupted, and the next call (or a trainer loaded from
    /// a checkpoint saved now) continues the same epoch at the next batch, bit for bit.
    /// The statistics are the means over the batches this call ran.
    JemStepStats train_epoch(const Tensor& images, const Tensor& labels,
                             const std::function<void(std::int64_t, std::int64_t, const JemStepStats&)>& progress = {},
                             const std::atomic<bool>* stop = nullptr);
    /// Accuracy, mean energy and calibration error on images [N, D] (values in [-1, 1])
    /// and labels [N] int32, on the host.
    JemEvaluation evaluate(const Tensor& images, const Tensor& labels);

    /// @{
    /// Model, optimizer state, replay buffer and counters in one safetensors file; load
    /// resumes bit for bit. save refuses a model with a non-finite parameter; metadata
    /// adds keys of the caller's (e.g. the ebm command's configuration), the model's
    /// and the trainer's own keys winning.
    /// With N ranks save is collective (every rank calls it): the ranks' replay-buffer
    /// parts are stacked into the global buffer and rank 0 alone writes the file. load
    /// (every rank reads the file) takes this rank's part of the global buffer, so a
    /// checkpoint resumes bit for bit at the same rank count; at another count the buffer
    /// is re-sharded (its slots dealt out anew, which changes the later draws).
    void save(const std::string& path, const std::map<std::string, std::string>& metadata = {}) const;
    void load(const std::string& path);
    /// @}

    /// Iterations kept so far (a rolled-back one is not counted).
    std::int64_t iterations() const { return iterations_; }
    /// Epochs finished.
    int epoch() const { return epoch_; }
    /// Batches of the current epoch already trained (nonzero after an interruption).
    std::int64_t batch_in_epoch() const { return batch_in_epoch_; }
    /// @{
    /// The trainer's optimizer, sampler (and its replay buffer) and communicator.
    const Optimizer& optimizer() const { return optimizer_; }
    const LangevinSampler& sampler() const { return sampler_; }
    const Communicator& communicator() const { return comm_; }
    /// @}
    /// What the divergence guard did, one line per event.
    const std::vector<std::string>& events() const { return events_; }

private:
    void take_snapshot();
    void roll_back(const std::string& why);
    /// The loss's weights for n data rows and m samples on this rank.
    detail::JemLoss loss_of(std::int64_t n, std::int64_t m) const;
    /// The loss's terms and its gradient into grad on ctx's backend, without checks, and
    /// what comes back (the statistics, the first bad label, the guard's verdict).
    detail::JemReadout terms_and_gradient(ConstTensorView x, ConstTensorView labels, ConstTensorView samples,
                                          MlpEnergy& grad);
    /// Whether an iteration on n rows is one replayed launch sequence (host/jem.cpp).
    bool replayable(std::int64_t n) const;
    JemStepStats replayed_step(ConstTensorView x, ConstTensorView labels);
    JemStepStats rolled_back(JemStepStats s);
    JemStepStats kept(const JemStepStats& s);
    [[noreturn]] void fail_bad_label(ConstTensorView labels, std::int64_t row) const;

    /// With several ranks: the statistics averaged over them; true when a rank other than
    /// this one saw a bad label.
    bool average_over_ranks(JemStepStats& s, bool bad_label_here) const;

    Context& ctx_;
    MlpEnergy& model_;
    JemTrainOptions options_;
    Communicator comm_;
    Optimizer optimizer_;
    LangevinSampler sampler_;
    MlpEnergy grad_;
    struct Snapshot;
    std::unique_ptr<Snapshot> snapshot_;
    Tensor scratch_;  ///< the backend's, kept between iterations (host/ops/jem.hpp)
    /// The replayed iteration's: words on ctx's device (rounds kept, their chain steps,
    /// optimizer steps; the host's counts copied there when stale), the batch at the
    /// addresses the recording reads, the recording.
    Tensor words_, x_, labels_;
    bool words_stale_ = true;
    std::shared_ptr<detail::Recording> iteration_;
    std::int64_t iterations_ = 0, good_since_snapshot_ = 0, batch_in_epoch_ = 0;
    int epoch_ = 0;
    std::vector<std::string> events_;
};

}  // namespace ebmkit
