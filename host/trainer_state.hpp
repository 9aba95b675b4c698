// What the MLP trainers (JemTrainer, host/jem.cpp; ScoreTrainer, host/score_trainer.cpp)
// share around their steps: the divergence guard's last good state, and the part of a
// checkpoint that is the model, the optimizer and the position in the training.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "ebmkit/checkpoint.hpp"
#include "ebmkit/context.hpp"
#include "ebmkit/mlp.hpp"
#include "ebmkit/optim.hpp"
#include "ebmkit/safetensors.hpp"

namespace ebmkit::detail {

// The model and the optimizer's state (moments, step count) as of the last take, copied
// on the context's stream: the first take allocates, every later one copies into the
// same tensors, so a snapshot step allocates nothing and waits for nothing.
class GoodState {
public:
    void take(Context& ctx, const MlpEnergy& model, const Optimizer& optimizer);
    // Back to the state taken last (take first), the learning rate halved; returns the
    // event's text for the trainer's log.
    std::string roll_back(Context& ctx, MlpEnergy& model, Optimizer& optimizer, const std::string& why) const;

private:
    std::optional<MlpEnergy> model_;
    Tensor first_, second_;  // the optimizer's moments, flat (second_ empty for Sgd)
    std::int64_t optimizer_steps_ = 0;
};

// Where a training stands: steps taken, epochs done, batches done of the current epoch.
struct TrainingPosition {
    std::int64_t iterations = 0;
    int epoch = 0;
    std::int64_t batch_in_epoch = 0;
};

// The model (checked finite: Error naming `what`), the optimizer's state and the position
// into c, with the rank count; the caller adds its format and its own keys.
void add_training(CheckpointContents& c, const MlpEnergy& model, const Optimizer& optimizer,
                  const TrainingPosition& at, int ranks, const std::string& what);

// What add_training wrote, read and checked against the model's widths (Error naming
// `what`) without changing anything, so that a bad file leaves the trainer as it was.
struct SavedTraining {
    MlpEnergy model;
    std::int64_t optimizer_steps;
    float lr;
    TrainingPosition at;
};
SavedTraining read_training(const SafeTensors& file, const MlpEnergy& model, const std::string& what);

// Puts a read state into the model and the optimizer (its moments from file); returns
// the position for the trainer to take.
TrainingPosition restore_training(const SavedTraining& saved, const SafeTensors& file, MlpEnergy& model,
                                  Optimizer& optimizer);

}  // namespace ebmkit::detail
