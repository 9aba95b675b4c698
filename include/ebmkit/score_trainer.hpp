/// @file
/// Score-matching training of an MLP energy (score.hpp states the losses). Per batch of
/// rows x, with draws keyed by the trainer's draw counter (so a retried or resumed batch
/// is reproducible):
///   Denoising: each row a level sigma of the ladder (uniform), a normal eps, and the
///              loss w / 2 |s(x + sigma eps, sigma) + eps / sigma|^2 (w = sigma^2 when
///              options.sigma_squared_weight; Song & Ermon 2019's NCSN objective with the
///              ladder's levels, plain DSM with one level);
///   Sliced:    each row a projection v (Rademacher or Gaussian) and Song et al.'s loss;
/// the mean's parameter gradient, then an Optimizer step. A divergence guard rolls back
/// to the last good state (model and optimizer, snapshotted every snapshot_every good
/// steps) and halves the learning rate when the loss is not finite or exceeds max_loss.
///
/// Data parallel (a Communicator of N ranks): options.batch is the global batch; each
/// rank takes its B / N rows of every global batch (the shuffle is keyed by the seed
/// alone), draws for rows rank * B / N ... of it, and adds its share of the global mean;
/// one all-reduce of the flat gradient and the loss per step makes every rank take the
/// same step. One rank runs exactly what no communicator does.
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
#include "ebmkit/score.hpp"
#include "ebmkit/tensor.hpp"

namespace ebmkit {

/// A score model's training recipe.
struct ScoreTrainOptions {
    std::int64_t batch = 128;               ///< rows per step (the global batch with several ranks)
    ScoreLoss loss = ScoreLoss::Denoising;  ///< denoising over the ladder, or a sliced loss
    /// Denoising: the noise ladder, strictly decreasing (one level: plain DSM at it).
    /// The sliced losses fit the data as it is and take no noise: their ladder is unused.
    std::vector<float> sigmas = {0.1f};
    NoiseConditioning conditioning = NoiseConditioning::ScaledByNoise;  ///< how sigma enters the score
    bool sigma_squared_weight = true;  ///< weight each row's loss by its sigma^2 (Song & Ermon 2019)
    Projection projection = Projection::Rademacher;  ///< the sliced losses
    OptimizerOptions optimizer{OptimizerKind::Adam, 1e-3f};  ///< Adam, lr 1e-3
    double max_loss = 1e8;              ///< a loss beyond this (or not finite) counts as divergence
    std::int64_t snapshot_every = 100;  ///< good steps between snapshots of the state
};

/// One step's (or an epoch's mean) statistics.
struct ScoreStepStats {
    double loss = 0;  ///< the loss (ScoreTrainOptions::loss) over the batch
    bool rolled_back = false;  ///< the guard restored the last good state instead of updating
    bool interrupted = false;  ///< train_epoch: stopped early on request, the epoch not finished
};

/// Trains an MLP energy's score by denoising score matching over a noise ladder or by
/// sliced score matching, with keyed draws, a divergence guard that rolls back, and
/// checkpoints that resume bit for bit.
class ScoreTrainer {
public:
    /// Trains model in place on the context's backend; ctx.seed() keys the draws and the
    /// shuffle. With N ranks options.batch must be a multiple of N.
    ScoreTrainer(Context& ctx, MlpEnergy& model, const ScoreTrainOptions& options, Communicator comm = Communicator());
    ~ScoreTrainer();
    /// One step on x [B, D] on ctx's device (with N ranks: this rank's B rows of a global
    /// batch of N * B, every rank passing the same B).
    ScoreStepStats step(ConstTensorView x);
    /// One pass over data [N, D] (host), shuffled with (seed, epoch), full batches only;
    /// stop (nullable) is read after every batch, as JemTrainer::train_epoch reads it:
    /// an interrupted epoch continues at the next batch, bit for bit, in the next call or
    /// in a trainer loaded from a checkpoint saved now. The loss is the mean over the
    /// batches this call ran.
    ScoreStepStats train_epoch(const Tensor& data,
                               const std::function<void(std::int64_t, std::int64_t, const ScoreStepStats&)>& progress = {},
                               const std::atomic<bool>* stop = nullptr);
    /// The training loss's mean over data [N, D] (host) with fixed draws (the same for
    /// every call, so epochs compare); nothing changes. On every rank the whole of data.
    double evaluate(const Tensor& data);
    /// @{
    /// Model, optimizer state and counters in one safetensors file; load resumes bit for
    /// bit. With N ranks save is collective and rank 0 writes; metadata adds the caller's
    /// keys (the model's and the trainer's own win).
    void save(const std::string& path, const std::map<std::string, std::string>& metadata = {}) const;
    void load(const std::string& path);
    /// @}

    /// @{
    /// The options, the steps kept, the epochs finished, the batches of the current epoch
    /// already trained (nonzero after an interruption), the optimizer and the communicator.
    const ScoreTrainOptions& options() const { return options_; }
    std::int64_t iterations() const { return iterations_; }
    int epoch() const { return epoch_; }
    std::int64_t batch_in_epoch() const { return batch_in_epoch_; }
    const Optimizer& optimizer() const { return optimizer_; }
    const Communicator& communicator() const { return comm_; }
    /// @}
    /// What the divergence guard did, one line per event.
    const std::vector<std::string>& events() const { return events_; }

private:
    /// loss_ = scale times the sum of x's row losses and, when grad, its gradient, with the
    /// draws of key step for rows first_row ... (no reduction over the ranks).
    void loss_of(const char* op, ConstTensorView x, std::uint32_t step, std::uint32_t first_row, double scale,
                 MlpEnergy* grad);
    void take_snapshot();
    void roll_back(const std::string& why);

    Context& ctx_;
    MlpEnergy& model_;
    ScoreTrainOptions options_;
    Communicator comm_;
    Optimizer optimizer_;
    MlpEnergy grad_;
    struct Snapshot;
    std::unique_ptr<Snapshot> snapshot_;
    Tensor ladder_;                ///< options_.sigmas on ctx's device
    Tensor noise_, sigma_, loss_;  ///< the step's draws and loss, kept between steps
    std::int64_t iterations_ = 0, good_since_snapshot_ = 0, batch_in_epoch_ = 0;
    std::uint32_t draws_ = 0;  ///< steps drawn, kept or rolled back: the draws' key
    int epoch_ = 0;
    std::vector<std::string> events_;
};

}  // namespace ebmkit
