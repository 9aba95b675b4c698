#include "trainer_state.hpp"

#include "device_memory.hpp"
#include "ebmkit/error.hpp"
#include "ebmkit/names.hpp"

namespace ebmkit::detail {

void GoodState::take(Context& ctx, const MlpEnergy& model, const Optimizer& optimizer) {
    if (!model_) {
        model_ = model.zeros_like();
        first_ = optimizer.first_.clone();
        if (!optimizer.second_.empty()) second_ = optimizer.second_.clone();
    }
    copy_on_stream(ctx, model.flat(), model_->flat());
    copy_on_stream(ctx, optimizer.first_, first_);
    if (!optimizer.second_.empty()) copy_on_stream(ctx, optimizer.second_, second_);
    optimizer_steps_ = optimizer.steps();
}

std::string GoodState::roll_back(Context& ctx, MlpEnergy& model, Optimizer& optimizer, const std::string& why) const {
    copy_on_stream(ctx, model_->flat(), model.flat());
    copy_on_stream(ctx, first_, optimizer.first_);
    if (!optimizer.second_.empty()) copy_on_stream(ctx, second_, optimizer.second_);
    optimizer.steps_ = optimizer_steps_;
    const float lr = optimizer.options().lr / 2;
    optimizer.set_lr(lr);
    return "diverged at " + why + "; rolled back to the last good state, learning rate now " + std::to_string(lr);
}

void add_training(CheckpointContents& c, const MlpEnergy& model, const Optimizer& optimizer,
                  const TrainingPosition& at, int ranks, const std::string& what) {
    add_model(c, model, what);
    for (const auto& entry : optimizer.state()) c.tensors.push_back(entry);
    c.metadata.insert({{"iterations", std::to_string(at.iterations)},
                       {"epoch", std::to_string(at.epoch)},
                       {"batch_in_epoch", std::to_string(at.batch_in_epoch)},
                       {"optimizer", to_string(optimizer.options().kind)},
                       {"lr", std::to_string(optimizer.options().lr)},
                       {"optimizer_steps", std::to_string(optimizer.steps())},
                       {"ranks", std::to_string(ranks)}});
}

SavedTraining read_training(const SafeTensors& file, const MlpEnergy& model, const std::string& what) {
    MlpEnergy saved = read_mlp(file, model.device());
    if (saved.widths() != model.widths()) {
        throw Error(what + ": the file holds widths " + metadata_at(file, "widths", what) + ", the model has others");
    }
    TrainingPosition at;
    at.iterations = std::stoll(metadata_at(file, "iterations", what));
    at.epoch = std::stoi(metadata_at(file, "epoch", what));
    // Absent from checkpoints written before interruptions existed: an epoch's start.
    const auto in_epoch = file.metadata.find("batch_in_epoch");
    at.batch_in_epoch = in_epoch == file.metadata.end() ? 0 : std::stoll(in_epoch->second);
    return {std::move(saved), std::stoll(metadata_at(file, "optimizer_steps", what)),
            std::stof(metadata_at(file, "lr", what)), at};
}

TrainingPosition restore_training(const SavedTraining& saved, const SafeTensors& file, MlpEnergy& model,
                                  Optimizer& optimizer) {
    optimizer.load_state(file, saved.optimizer_steps);
    optimizer.set_lr(saved.lr);
    model.flat().copy_from(saved.model.flat());
    return saved.at;
}

}  // namespace ebmkit::detail
