/// @file
/// RBM training by contrastive divergence (CD-k), persistent CD (PCD-k, Tieleman 2008) or
/// persistent parallel tempering (PT-k, Desjardins et al. 2010: the negative phase from
/// the beta = 1 replicas of PT chains, tempering.hpp). Per mini-batch, with g the
/// batch-mean log-likelihood ascent direction (cd_gradient, or rbm_gradient of the PT samples):
///   velocity <- momentum * velocity + lr_t * (g - weight_decay * W)   (no decay on b, c)
///   params   <- params + velocity,           lr_t = lr / (1 + lr_decay * epoch)
///
/// Data parallel (a Communicator of N ranks, e.g. mpirun -np N): options.batch and the
/// chain count are global. Each rank takes its share of every global batch (the shuffle
/// is keyed by the seed alone; a batch of B rows gives each rank B / N, a last partial
/// batch of C rows C / N or one more, and a last batch of fewer rows than ranks is
/// skipped), keeps chains rank * S / N ... of the S persistent chains (their draws keyed
/// by the global chain index: cd_gradient's RbmShard), and computes its part of the
/// global batch's gradient; one all-reduce of the flat gradient (with, when centred, the
/// batch's means) per update makes every rank take the same step. So N ranks train the
/// one-rank model, within float rounding, and one rank is exactly the run without a
/// communicator. Parallel tempering runs on one rank only.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ebmkit/communicator.hpp"
#include "ebmkit/context.hpp"
#include "ebmkit/rbm.hpp"
#include "ebmkit/tempering.hpp"
#include "ebmkit/tensor.hpp"

namespace ebmkit {

/// An RBM's training recipe: CD-k, PCD-k or PT-k, optionally centred.
struct RbmTrainOptions {
    std::uint32_t k = 1;        ///< Gibbs sweeps per update
    bool persistent = true;     ///< PCD: chains survive across batches; CD: restart at the batch
    std::int64_t chains = 0;    ///< PCD chain count; 0: the batch size
    std::int64_t batch = 100;   ///< rows per update (the global batch with several ranks)
    float lr = 0.05f;           ///< the learning rate on the batch-mean gradient
    float lr_decay = 0.0f;      ///< lr / (1 + lr_decay * epoch) in each epoch
    /// No momentum or decay by default: on Fashion-MNIST, PCD-1 at lr 0.05 with momentum
    /// 0.5 gave a far worse model (AIS test LL about -336 against -184 without).
    float momentum = 0.0f;
    float weight_decay = 0.0f;  ///< L2 on W
    /// >= 2: PT-k with this many replicas per chain on geometric_betas(tempering_replicas,
    /// tempering_beta_min), k sweeps (with their swaps) per update; every replica of a
    /// chain starts at the same training row. Needs persistent; 0: PCD or CD.
    int tempering_replicas = 0;
    float tempering_beta_min = 0.1f;  ///< the hottest replica's beta
    /// A centred RBM (Melchior, Fischer & Wiskott, JMLR 2016): the gradient step taken in
    /// the parametrisation centred at offsets mu (visible) and lambda (hidden), moving
    /// averages of the data's means of v and p(h | v) at rate 0.01 per batch (mu starts at the
    /// training mean, lambda at 1/2). The RBM itself stays plain (W, b, c), as do its
    /// checkpoints; the offsets are trainer state (kernels/centering.cuh has the math).
    bool centered = false;
};

/// One epoch's statistics.
struct RbmEpochStats {
    int epoch;              ///< 1-based, after the epoch
    float lr;               ///< the rate used in it
    std::int64_t updates;   ///< parameter updates (mini-batches) in it
    bool interrupted = false;  ///< stopped early on request, the epoch not finished
    std::vector<double> swap_rates;  ///< PT: accepted / attempted swaps per pair since training began
};

namespace detail {
struct Recording;
}  // namespace detail

/// Trains an RBM by CD-k, PCD-k or PT-k (optionally centred) with momentum, weight decay and a decaying learning rate, its epochs' divergence guard undoing a diverged epoch, and checkpoints that resume bit for bit.
class RbmTrainer {
public:
    /// Trains rbm in place on the context's backend; ctx.seed() keys shuffling and sampling.
    /// With a communicator of N ranks, options.batch and the persistent chain count must be
    /// multiples of N (every rank constructs its trainer with the same options).
    RbmTrainer(Context& ctx, Rbm& rbm, const RbmTrainOptions& options, Communicator comm = Communicator());
    /// One pass over data [N, D] (binary, host), shuffled with (seed, epoch); a last
    /// partial batch is used too. Mini-batches are gathered on the host and copied to
    /// the context's device.
    /// progress(done, total) is called after each mini-batch when given.
    /// A divergence guard ends each epoch: when a parameter, or the free energy of one of
    /// the epoch's first batch of rows, is not finite, the RBM, the velocity, the chains
    /// and the step counter are restored to the epoch's start and Error is thrown (so no
    /// checkpoint of a diverged RBM is written).
    /// stop (nullable, e.g. set by a signal handler) is read after every batch: once true
    /// the pass returns with interrupted set, and the next call (or a trainer loaded from
    /// a checkpoint saved now) continues the same epoch at the next batch, bit for bit.
    RbmEpochStats train_epoch(const Tensor& data,
                              const std::function<void(std::int64_t, std::int64_t)>& progress = {},
                              const std::atomic<bool>* stop = nullptr);
    /// @{
    /// Epochs finished, and the batches of the current epoch already trained (nonzero after an interruption).
    int epoch() const { return epoch_; }
    std::int64_t batch_in_epoch() const { return batch_in_epoch_; }
    /// @}

    /// @{
    /// The RBM (W, b, c: what read_rbm and the ebm command read), the velocity, the
    /// persistent chains (PT: every replica, the swap counters) and the counters, with metadata beside them, in one safetensors
    /// file; load resumes bit for bit on an RBM of the same shape. load changes nothing
    /// when the file does not fit. With N ranks save is collective (every rank calls it):
    /// the chains are stacked into the global set and rank 0 alone writes the file; load
    /// (every rank reads it) takes this rank's chains of the global set, so a checkpoint
    /// resumes the same run at any rank count that splits the chains.
    void save(const std::string& path, const std::map<std::string, std::string>& metadata = {}) const;
    void load(const std::string& path);
    /// @}
    /// @{
    /// The options and the communicator.
    const RbmTrainOptions& options() const { return options_; }
    const Communicator& communicator() const { return comm_; }
    /// @}
    /// This rank's persistent chains (rows first_chain ... of the global set; empty before
    /// the first epoch and for CD).
    const Tensor& chains() const { return chains_; }

private:
    /// Why the current RBM counts as diverged, or empty.
    std::string divergence(ConstTensorView shuffled);
    void update(ConstTensorView batch, Tensor& restart, std::int64_t offset, std::int64_t count, float lr,
                std::uint32_t* counter);
    Context& ctx_;
    Rbm& rbm_;
    RbmTrainOptions options_;
    Communicator comm_;
    Rbm grad_, velocity_;
    Tensor chains_;
    std::optional<ParallelTempering> tempering_;
    Tensor visible_offset_, hidden_offset_, hidden_probs_;  ///< centred training
    Tensor batch_means_;  ///< several ranks, centred: the global batch's means of v and p(h | v)
    /// One rank, CD or PCD: the update is a recorded launch sequence replayed per batch
    /// (a CUDA graph; host/ops/graph.hpp), reading the batch from batch_ and keying its
    /// draws by step_counter_ (step_, on ctx's device), which it advances.
    Tensor batch_, step_counter_;
    std::shared_ptr<detail::Recording> update_;
    int epoch_ = 0;
    std::int64_t batch_in_epoch_ = 0;
    std::uint32_t step_ = 0;
};

}  // namespace ebmkit
