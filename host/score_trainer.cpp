#include "ebmkit/score_trainer.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "batching.hpp"
#include "check.hpp"
#include "data_parallel.hpp"
#include "device_memory.hpp"
#include "ebmkit/checkpoint.hpp"
#include "ebmkit/names.hpp"
#include "ops/ops.hpp"
#include "trainer_state.hpp"

namespace ebmkit {

namespace {

// The draws' key of evaluate: no training step reaches it.
constexpr std::uint32_t evaluation_step = 0xFFFFFFFFu;

}  // namespace

struct ScoreTrainer::Snapshot {
    detail::GoodState state;
};

ScoreTrainer::ScoreTrainer(Context& ctx, MlpEnergy& model, const ScoreTrainOptions& options, Communicator comm)
    : ctx_(ctx), model_(model), options_(options), comm_(std::move(comm)), optimizer_(model, options.optimizer),
      grad_(model.zeros_like()) {
    constexpr const char* op = "ScoreTrainer";
    detail::check_model(op, ctx, model);
    if (options.batch < 1) detail::fail(std::string(op) + ": options.batch must be >= 1, got " + std::to_string(options.batch));
    detail::check_split(op, "options.batch", options.batch, comm_);
    detail::check_noise_ladder(op, options.sigmas);
    detail::check_positive(op, "options.max_loss", options.max_loss);
    if (options.snapshot_every < 1) detail::fail(std::string(op) + ": options.snapshot_every must be >= 1");
    // The counts of a step's reductions, agreed once (the gradient with the loss, the stop flag).
    for (const std::int64_t count : {grad_.flat().numel() + 1, std::int64_t{1}}) comm_.agree_count(count);
    loss_ = Tensor({1}, DType::F32, ctx.device());
    ladder_ = Tensor::from(options_.sigmas, {static_cast<std::int64_t>(options_.sigmas.size())}).to(ctx.device());
    take_snapshot();
}

ScoreTrainer::~ScoreTrainer() = default;

void ScoreTrainer::loss_of(const char* op, ConstTensorView x, std::uint32_t step, std::uint32_t first_row,
                           double scale, MlpEnergy* grad) {
    const detail::ScoreOps& score = detail::ops(ctx_).score;
    const std::int64_t rows = x.dim(0), d = x.dim(1);
    const detail::ScoreDrawKey key{step, first_row};
    detail::ensure(ctx_, noise_, {rows, d}, DType::F32);
    if (options_.loss == ScoreLoss::Denoising) {
        detail::ensure(ctx_, sigma_, {rows}, DType::F32);
        score.draw_perturbation(ctx_, ladder_.data<float>(), static_cast<int>(options_.sigmas.size()), rows, d, key,
                                sigma_.data<float>(), noise_.data<float>());
        score.denoising(op, ctx_, model_, x, noise_.data<float>(), sigma_.data<float>(),
                        {options_.conditioning, options_.sigma_squared_weight}, scale, loss_.data<float>(), grad);
    } else {
        score.draw_projections(ctx_, options_.projection, rows, d, key, noise_.data<float>());
        score.sliced(op, ctx_, model_, x, noise_.data<float>(), options_.loss == ScoreLoss::SlicedVarianceReduced,
                     scale, loss_.data<float>(), grad);
    }
}

ScoreStepStats ScoreTrainer::step(ConstTensorView x) {
    constexpr const char* op = "ScoreTrainer::step";
    detail::check_input(op, ctx_, model_, x);
    const std::int64_t rows = x.dim(0), global = rows * comm_.size();
    // This rank's share of the global batch's mean, summed over the ranks.
    loss_of(op, x, draws_++, static_cast<std::uint32_t>(comm_.rank() * rows), 1.0 / static_cast<double>(global), &grad_);
    if (comm_.size() > 1) comm_.allreduce_sum({grad_.flat(), loss_});
    const float loss = loss_.to_vector<float>()[0];
    ScoreStepStats s;
    s.loss = loss;
    if (!std::isfinite(loss) || loss > options_.max_loss) {
        std::ostringstream why;
        why << "step " << iterations_ << ": loss " << loss;
        roll_back(why.str());
        s.rolled_back = true;
        return s;
    }
    optimizer_.step(ctx_, model_, grad_);
    ++iterations_;
    if (++good_since_snapshot_ >= options_.snapshot_every) take_snapshot();
    return s;
}

void ScoreTrainer::take_snapshot() {
    if (!snapshot_) snapshot_ = std::make_unique<Snapshot>();
    snapshot_->state.take(ctx_, model_, optimizer_);
    good_since_snapshot_ = 0;
}

void ScoreTrainer::roll_back(const std::string& why) {
    events_.push_back(snapshot_->state.roll_back(ctx_, model_, optimizer_, why));
}

ScoreStepStats ScoreTrainer::train_epoch(const Tensor& data,
                                         const std::function<void(std::int64_t, std::int64_t, const ScoreStepStats&)>& progress,
                                         const std::atomic<bool>* stop) {
    constexpr const char* op = "ScoreTrainer::train_epoch";
    detail::check_tensor(op, "data", data, {detail::any_dim, model_.input_dim()}, DType::F32, Device::Host);
    const std::int64_t n = data.dim(0), global = options_.batch, batches = n / global;
    if (batches == 0) detail::fail(std::string(op) + ": fewer rows than one batch");
    const std::vector<std::int64_t> order = detail::shuffled_order(n, ctx_.seed(), static_cast<std::uint32_t>(epoch_), 2);
    // This rank's rows of every global batch, in their shuffled order, uploaded once.
    const std::int64_t b = global / comm_.size(), d = data.dim(1), used = batches * b;
    std::vector<std::int64_t> mine(static_cast<std::size_t>(used));
    for (std::int64_t i = 0; i < batches; ++i) {
        for (std::int64_t j = 0; j < b; ++j) mine[i * b + j] = order[i * global + comm_.rank() * b + j];
    }
    const Tensor all = detail::gather_rows(data, mine.data(), used, ctx_.device());
    ScoreStepStats mean;
    const std::int64_t first = std::min(batch_in_epoch_, batches);
    double sum = 0;
    for (std::int64_t i = first; i < batches; ++i) {
        const ScoreStepStats s = step(ConstTensorView(all.data<float>() + i * b * d, {b, d}, DType::F32, ctx_.device()));
        sum += s.loss;
        mean.rolled_back |= s.rolled_back;
        batch_in_epoch_ = i + 1;
        if (progress) progress(i + 1, batches, s);
        if (stop && detail::on_any_rank(comm_, stop->load()) && i + 1 < batches) {
            mean.loss = sum / static_cast<double>(i + 1 - first);
            mean.interrupted = true;
            return mean;
        }
    }
    mean.loss = batches > first ? sum / static_cast<double>(batches - first) : 0.0;
    batch_in_epoch_ = 0;
    ++epoch_;
    return mean;
}

double ScoreTrainer::evaluate(const Tensor& data) {
    constexpr const char* op = "ScoreTrainer::evaluate";
    detail::check_tensor(op, "data", data, {detail::any_dim, model_.input_dim()}, DType::F32, Device::Host);
    const std::int64_t n = data.dim(0), d = data.dim(1);
    // Every rank evaluates the whole, alone (no all-reduce), in chunks.
    double total = 0;
    for (std::int64_t start = 0; start < n; start += 1024) {
        const std::int64_t rows = std::min<std::int64_t>(1024, n - start);
        Tensor chunk({rows, d}, DType::F32, ctx_.device());
        copy(ConstTensorView(data.data<float>() + start * d, {rows, d}, DType::F32, Device::Host), chunk);
        loss_of(op, chunk, evaluation_step, static_cast<std::uint32_t>(start), 1.0, nullptr);
        total += loss_.to_vector<float>()[0];
    }
    return total / static_cast<double>(n);
}

void ScoreTrainer::save(const std::string& path, const std::map<std::string, std::string>& metadata) const {
    CheckpointContents c;
    detail::add_training(c, model_, optimizer_, {iterations_, epoch_, batch_in_epoch_}, comm_.size(),
                         "ScoreTrainer::save (" + path + ")");
    std::ostringstream sigmas;
    for (std::size_t i = 0; i < options_.sigmas.size(); ++i) sigmas << (i ? "," : "") << options_.sigmas[i];
    c.metadata.insert({{"format", "ebmkit-score"},
                       {"loss", to_string(options_.loss)},
                       {"conditioning", to_string(options_.conditioning)},
                       {"draws", std::to_string(draws_)},
                       {"sigmas", sigmas.str()}});
    c.metadata.insert(metadata.begin(), metadata.end());  // the model's and the trainer's own keys win
    detail::write_on_rank_zero(comm_, [&] { c.write(path); });
}

void ScoreTrainer::load(const std::string& path) {
    const SafeTensors file = load_safetensors(path);
    const std::string what = "ScoreTrainer::load (" + path + ")";
    if (metadata_at(file, "format", what) != "ebmkit-score") throw Error(what + ": not an ebmkit score checkpoint");
    // Read and look up everything first, so a bad file changes nothing.
    const detail::SavedTraining saved = detail::read_training(file, model_, what);
    const auto draws = static_cast<std::uint32_t>(std::stoul(metadata_at(file, "draws", what)));
    const detail::TrainingPosition at = detail::restore_training(saved, file, model_, optimizer_);
    iterations_ = at.iterations;
    epoch_ = at.epoch;
    batch_in_epoch_ = at.batch_in_epoch;
    draws_ = draws;
    take_snapshot();
}

}  // namespace ebmkit
