#include "ebmkit/jem.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "batching.hpp"
#include "check.hpp"
#include "cpu/jem.hpp"
#include "data_parallel.hpp"
#include "device_memory.hpp"
#include "ebmkit/checkpoint.hpp"
#include "kernels/jem_head.hpp"
#include "ops/ops.hpp"
#include "trainer_state.hpp"

namespace ebmkit {

struct JemTrainer::Snapshot {
    detail::GoodState state;
    Tensor buffer;  // the replay buffer's samples, where the sampler has one
};

namespace {

SamplerOptions sampler_options(const JemTrainOptions& options, const MlpEnergy& model, const Communicator& comm) {
    SamplerOptions o = options.sampler;
    if (options.class_conditional) o.classes = model.num_outputs();
    o.shard = comm.rank();
    o.shards = comm.size();
    return o;
}

// The checks of the data-parallel split, before the sampler is built.
const JemTrainOptions& split_checked(const JemTrainOptions& options, const Communicator& comm) {
    constexpr const char* op = "JemTrainer";
    if (options.batch < 1) detail::fail(std::string(op) + ": options.batch must be >= 1");
    detail::check_split(op, "options.batch", options.batch, comm);
    if (options.generative_weight > 0 && options.sampler.start == ChainStart::ReplayBuffer) {
        detail::check_split(op, "options.sampler.buffer_size", options.sampler.buffer_size, comm);
    }
    return options;
}

}  // namespace

JemTrainer::JemTrainer(Context& ctx, MlpEnergy& model, const JemTrainOptions& options, Communicator comm)
    : ctx_(ctx), model_(model), options_(split_checked(options, comm)), comm_(std::move(comm)),
      optimizer_(model, options.optimizer), sampler_(ctx, model.input_dim(), sampler_options(options, model, comm_)),
      grad_(model.zeros_like()) {
    constexpr const char* op = "JemTrainer";
    detail::check_model(op, ctx, model);
    detail::check_non_negative(op, "options.classifier_weight", options.classifier_weight);
    detail::check_non_negative(op, "options.generative_weight", options.generative_weight);
    detail::check_non_negative(op, "options.energy_l2", options.energy_l2);
    detail::check_positive(op, "options.max_energy_gap", options.max_energy_gap);
    if (options.snapshot_every < 1) detail::fail(std::string(op) + ": options.snapshot_every must be >= 1");
    // The counts of the iteration's reductions, agreed once (the gradient, the statistics, the stop flag).
    for (const std::int64_t count : {grad_.flat().numel(), std::int64_t{6}, std::int64_t{1}}) comm_.agree_count(count);
    words_ = Tensor({3}, DType::I32, ctx);
    iteration_ = std::make_shared<detail::Recording>();
    take_snapshot();
}

JemTrainer::~JemTrainer() = default;

detail::JemLoss JemTrainer::loss_of(std::int64_t n, std::int64_t m) const {
    // The gradient is of this rank's part of the global batch's mean (ranks * rows).
    const std::int64_t ranks = comm_.size();
    return {options_.classifier_weight, options_.generative_weight, options_.energy_l2, n * ranks, m * ranks,
            options_.max_energy_gap};
}

detail::JemReadout JemTrainer::terms_and_gradient(ConstTensorView x, ConstTensorView labels, ConstTensorView samples,
                                                  MlpEnergy& grad) {
    const std::int64_t n = x.dim(0), m = samples.empty() ? 0 : samples.dim(0);
    const detail::JemLoss loss = loss_of(n, m);
    const detail::JemOps& jem = detail::ops(ctx_).jem;
    jem.terms_and_gradient(ctx_, model_, x, labels, samples, loss, grad, scratch_);
    return jem.read_stats(ctx_, scratch_, loss, n, m);
}

JemStepStats JemTrainer::loss_and_gradient(ConstTensorView x, ConstTensorView labels, ConstTensorView samples,
                                           MlpEnergy& grad) {
    constexpr const char* op = "JemTrainer::loss_and_gradient";
    detail::check_input(op, ctx_, model_, x);
    detail::check_labels(op, ctx_, model_, labels, x.dim(0));
    if (!samples.empty()) {
        detail::check_tensor(op, "samples", samples, {detail::any_dim, model_.input_dim()}, DType::F32, ctx_.device());
    }
    detail::check_model(op, ctx_, grad);
    if (grad.widths() != model_.widths()) detail::fail(std::string(op) + ": grad must have the model's widths");
    if (&grad == &model_) detail::fail(std::string(op) + ": grad must not be the model itself");
    return terms_and_gradient(x, labels, samples, grad).stats;
}

// One rank, and chains whose keys a counter on the device can carry (uniform or replay
// starts, a chain the backend can record): the iteration is one launch sequence,
// recorded once per shape and replayed (on CUDA a graph), whose draws are keyed by the
// words_ counters, whose store and optimizer step are gated on the guard's verdict
// computed on the device with the statistics, and which the host meets once, to read
// those statistics. The other configurations step through the same operations, the
// host deciding between them.
bool JemTrainer::replayable(std::int64_t n) const {
    if (comm_.size() > 1) return false;
    if (options_.generative_weight == 0) return true;
    const SamplerOptions& s = sampler_.options_;
    return (s.start == ChainStart::Uniform || s.start == ChainStart::ReplayBuffer) &&
           detail::ops(ctx_).langevin.chain_replayable(ctx_, model_, n, s.step, s.trace);
}

JemStepStats JemTrainer::step(ConstTensorView x, ConstTensorView labels) {
    constexpr const char* op = "JemTrainer::step";
    detail::check_input(op, ctx_, model_, x);
    // The labels' values are checked on the device, with the iteration's statistics.
    detail::check_tensor(op, "labels", labels, {x.dim(0)}, DType::I32, ctx_.device());
    if (replayable(x.dim(0))) return replayed_step(x, labels);
    sampler_.use_counters(nullptr);
    words_stale_ = true;
    const bool generative = options_.generative_weight > 0;
    SampleRound round;
    if (generative) round = sampler_.draw_round(model_, x.dim(0));
    detail::JemReadout r = terms_and_gradient(x, labels, round.samples, grad_);
    JemStepStats& s = r.stats;
    const bool bad_label_elsewhere = comm_.size() > 1 && average_over_ranks(s, r.first_bad_label >= 0);
    // Nothing is kept after a bad label: the round is not written back, the model not updated.
    if (r.first_bad_label >= 0) fail_bad_label(labels, r.first_bad_label);
    if (bad_label_elsewhere) {
        detail::fail(std::string(op) + ": a label on another rank is outside [0, " + std::to_string(model_.num_outputs()) +
                     "); nothing was updated");
    }
    if (generative) sampler_.keep_round(round);
    if (!kernels::jem_keeps(s.loss, s.energy_data, s.energy_sample, options_.max_energy_gap)) return rolled_back(s);
    // The one all-reduce of the flat gradient: every rank then holds the global batch's.
    if (comm_.size() > 1) comm_.allreduce_sum({grad_.flat()});
    optimizer_.step(ctx_, model_, grad_);
    return kept(s);
}

JemStepStats JemTrainer::replayed_step(ConstTensorView x, ConstTensorView labels) {
    const std::int64_t n = x.dim(0);
    const bool generative = options_.generative_weight > 0;
    const detail::Ops& ops = detail::ops(ctx_);
    auto* words = reinterpret_cast<std::uint32_t*>(words_.data<std::int32_t>());
    if (words_stale_) {
        // The host's counts (after construction, a load, a roll back or an iteration that
        // was not replayed): the one copy to the device outside the sequence.
        const auto rounds = sampler_.rounds();
        const Tensor host = Tensor::from(std::vector<std::int32_t>{static_cast<std::int32_t>(rounds),
                                                                   static_cast<std::int32_t>(rounds * sampler_.options_.steps),
                                                                   static_cast<std::int32_t>(optimizer_.steps())},
                                         {3});
        copy(host, words_);
        words_stale_ = false;
    }
    sampler_.use_counters(words);
    // The batch at the addresses the recording reads.
    detail::ensure(ctx_, x_, x.shape(), DType::F32);
    detail::ensure(ctx_, labels_, labels.shape(), DType::I32);
    detail::copy_on_stream(ctx_, x, x_);
    detail::copy_on_stream(ctx_, labels, labels_);
    const std::int64_t m = generative ? n : 0;
    const detail::JemLoss loss = loss_of(n, m);
    const std::uint64_t buffer = sampler_.buffer() ? detail::address(sampler_.buffer()->samples()) : 0;
    // Everything the sequence's launches read that the host may change: a change is a new recording.
    const std::uint64_t signature = detail::signature_of(
        {static_cast<std::uint64_t>(n), detail::bits_of(optimizer_.options().lr), detail::address(x_),
         detail::address(labels_), detail::address(model_.flat()), detail::address(grad_.flat()),
         detail::address(words_), detail::address(optimizer_.first_), detail::address(optimizer_.second_),
         buffer});
    ops.graph.replay(ctx_, *iteration_, signature, [&] {
        SampleRound round;
        if (generative) round = sampler_.draw_round(model_, n);
        const std::int32_t* skip =
            ops.jem.terms_and_gradient(ctx_, model_, x_, labels_, round.samples, loss, grad_, scratch_);
        if (generative) sampler_.keep_counted_round(round, skip);
        optimizer_.counted_step(ctx_, model_, grad_, words + 2, skip);
        ops.graph.advance(ctx_, words + 2, 1, skip);
    });
    const detail::JemReadout r = ops.jem.read_stats(ctx_, scratch_, loss, n, m);
    // The device kept nothing of a skipped iteration.
    if (r.first_bad_label >= 0) fail_bad_label(labels, r.first_bad_label);
    // A round is counted even when the guard trips, so that the retried iteration draws afresh.
    if (generative) sampler_.count_round();
    if (r.skip) return rolled_back(r.stats);  // (which marks the words stale)
    optimizer_.count_step();
    return kept(r.stats);
}

void JemTrainer::fail_bad_label(ConstTensorView labels, std::int64_t row) const {
    Tensor label({1}, DType::I32);
    copy(ConstTensorView(labels.data<std::int32_t>() + row, {1}, DType::I32, labels.device()), label);
    detail::fail("JemTrainer::step: labels[" + std::to_string(row) + "] = " +
                 std::to_string(label.data<std::int32_t>()[0]) + " is outside [0, " +
                 std::to_string(model_.num_outputs()) + ")");
}

JemStepStats JemTrainer::rolled_back(JemStepStats s) {
    std::ostringstream why;
    why << "iteration " << iterations_ << ": loss " << s.loss << ", energy gap " << s.energy_data - s.energy_sample;
    roll_back(why.str());
    s.rolled_back = true;
    return s;
}

JemStepStats JemTrainer::kept(const JemStepStats& s) {
    ++iterations_;
    if (++good_since_snapshot_ >= options_.snapshot_every) take_snapshot();
    return s;
}

bool JemTrainer::average_over_ranks(JemStepStats& s, bool bad_label_here) const {
    // Every rank has as many rows and samples as every other, so the global means are the ranks' mean
    // (in float32: the statistics are reported and guarded, not differentiated).
    Tensor t = Tensor::from({static_cast<float>(s.loss), static_cast<float>(s.cross_entropy),
                             static_cast<float>(s.energy_data), static_cast<float>(s.energy_sample),
                             static_cast<float>(s.accuracy), bad_label_here ? 1.0f : 0.0f},
                            {6});
    comm_.allreduce_sum({t});
    const std::vector<float> sum = t.to_vector<float>();
    const double ranks = comm_.size();
    s.loss = sum[0] / ranks;
    s.cross_entropy = sum[1] / ranks;
    s.energy_data = sum[2] / ranks;
    s.energy_sample = sum[3] / ranks;
    s.accuracy = sum[4] / ranks;
    return sum[5] > (bad_label_here ? 1.0f : 0.0f);
}

void JemTrainer::take_snapshot() {
    // The first snapshot allocates its tensors; every later one copies into them on the
    // context's stream, so a snapshot iteration allocates nothing and waits for nothing.
    if (!snapshot_) snapshot_ = std::make_unique<Snapshot>();
    snapshot_->state.take(ctx_, model_, optimizer_);
    if (sampler_.buffer()) {
        const ConstTensorView samples = sampler_.buffer()->samples();
        detail::ensure(ctx_, snapshot_->buffer, samples.shape(), DType::F32);
        detail::copy_on_stream(ctx_, samples, snapshot_->buffer);
    }
    good_since_snapshot_ = 0;
}

void JemTrainer::roll_back(const std::string& why) {
    events_.push_back(snapshot_->state.roll_back(ctx_, model_, optimizer_, why));
    // The rounds keep counting so the retried iterations draw fresh noise.
    sampler_.restore(snapshot_->buffer, sampler_.rounds());
    words_stale_ = true;
}

JemStepStats JemTrainer::train_epoch(const Tensor& images, const Tensor& labels,
                                     const std::function<void(std::int64_t, std::int64_t, const JemStepStats&)>& progress,
                                     const std::atomic<bool>* stop) {
    constexpr const char* op = "JemTrainer::train_epoch";
    detail::check_tensor(op, "images", images, {detail::any_dim, model_.input_dim()}, DType::F32, Device::Host);
    detail::check_tensor(op, "labels", labels, {images.dim(0)}, DType::I32, Device::Host);
    const std::int64_t n = images.dim(0), global = options_.batch, batches = n / global;
    if (batches == 0) detail::fail(std::string(op) + ": fewer images than one batch");
    const std::vector<std::int64_t> order =
        detail::shuffled_order(n, ctx_.seed(), static_cast<std::uint32_t>(epoch_), 1);
    // This rank's rows of every global batch (rows rank * b .. of each; all of them on
    // one rank) in their shuffled order, uploaded once; each batch is a view.
    const std::int64_t b = global / comm_.size(), d = images.dim(1), used = batches * b;
    std::vector<std::int64_t> mine(static_cast<std::size_t>(used));
    for (std::int64_t i = 0; i < batches; ++i) {
        for (std::int64_t j = 0; j < b; ++j) mine[i * b + j] = order[i * global + comm_.rank() * b + j];
    }
    const Tensor all_x = detail::gather_rows(images, mine.data(), used, ctx_.device());
    const Tensor all_y = detail::gather_rows(labels, mine.data(), used, ctx_.device());
    JemStepStats mean;
    const std::int64_t first = std::min(batch_in_epoch_, batches), run = batches - first;
    for (std::int64_t i = first; i < batches; ++i) {
        const ConstTensorView x(all_x.data<float>() + i * b * d, {b, d}, DType::F32, ctx_.device());
        const ConstTensorView y(all_y.data<std::int32_t>() + i * b, {b}, DType::I32, ctx_.device());
        const JemStepStats s = step(x, y);
        mean.loss += s.loss / run;
        mean.cross_entropy += s.cross_entropy / run;
        mean.energy_data += s.energy_data / run;
        mean.energy_sample += s.energy_sample / run;
        mean.accuracy += s.accuracy / run;
        mean.rolled_back |= s.rolled_back;
        batch_in_epoch_ = i + 1;
        if (progress) progress(i + 1, batches, s);
        if (stop && detail::on_any_rank(comm_, stop->load()) && i + 1 < batches) {
            // Means over the batches this call ran.
            const double scale = static_cast<double>(run) / static_cast<double>(i + 1 - first);
            for (double* v : {&mean.loss, &mean.cross_entropy, &mean.energy_data, &mean.energy_sample, &mean.accuracy}) {
                *v *= scale;
            }
            mean.interrupted = true;
            return mean;
        }
    }
    batch_in_epoch_ = 0;
    ++epoch_;
    return mean;
}

JemEvaluation JemTrainer::evaluate(const Tensor& images, const Tensor& labels) {
    constexpr const char* op = "JemTrainer::evaluate";
    detail::check_tensor(op, "images", images, {detail::any_dim, model_.input_dim()}, DType::F32, Device::Host);
    detail::check_tensor(op, "labels", labels, {images.dim(0)}, DType::I32, Device::Host);
    const std::int64_t n = images.dim(0), k = model_.num_outputs(), d = model_.input_dim();
    constexpr int bins = 15;
    std::vector<double> bin_count(bins, 0), bin_correct(bins, 0), bin_confidence(bins, 0);
    JemEvaluation ev;
    for (std::int64_t start = 0; start < n; start += 1024) {
        const std::int64_t rows = std::min<std::int64_t>(1024, n - start);
        const ConstTensorView chunk(images.data<float>() + start * d, {rows, d}, DType::F32, Device::Host);
        Tensor device_chunk({rows, d}, DType::F32, ctx_.device());
        copy(chunk, device_chunk);
        Tensor logits({rows, k}, DType::F32, ctx_.device());
        mlp_logits(ctx_, model_, device_chunk, logits);
        std::vector<double> prob(static_cast<std::size_t>(rows * k)), energy(static_cast<std::size_t>(rows));
        cpu::softmax_rows(logits.to_vector<float>().data(), rows, k, prob.data(), energy.data());
        for (std::int64_t r = 0; r < rows; ++r) {
            const double* p = prob.data() + r * k;
            const auto best = std::max_element(p, p + k) - p;
            const bool correct = best == labels.data<std::int32_t>()[start + r];
            ev.accuracy += correct;
            ev.mean_energy += energy[r];
            const int bin = std::min(bins - 1, static_cast<int>(p[best] * bins));
            bin_count[bin] += 1;
            bin_correct[bin] += correct;
            bin_confidence[bin] += p[best];
        }
    }
    for (int i = 0; i < bins; ++i) {
        if (bin_count[i] > 0) ev.calibration_error += std::abs(bin_correct[i] - bin_confidence[i]) / n;
    }
    ev.accuracy /= n;
    ev.mean_energy /= n;
    return ev;
}

void JemTrainer::save(const std::string& path, const std::map<std::string, std::string>& metadata) const {
    CheckpointContents c;
    detail::add_training(c, model_, optimizer_, {iterations_, epoch_, batch_in_epoch_}, comm_.size(),
                         "JemTrainer::save (" + path + ")");
    // Every rank's part of the replay buffer, stacked (a collective; one rank: a copy).
    const Tensor buffer = sampler_.buffer() ? detail::stack_shards(comm_, sampler_.buffer()->samples()) : Tensor();
    if (sampler_.buffer()) c.tensors.emplace_back("replay_buffer", buffer);
    c.metadata.insert({{"format", "ebmkit-jem"}, {"sampler_rounds", std::to_string(sampler_.rounds())}});
    c.metadata.insert(metadata.begin(), metadata.end());  // the model's and the trainer's own keys win
    // Rank 0 writes; every rank learns that the file is whole (or why not) before going on.
    detail::write_on_rank_zero(comm_, [&] { c.write(path); });
}

void JemTrainer::load(const std::string& path) {
    const SafeTensors file = load_safetensors(path);
    const std::string what = "JemTrainer::load (" + path + ")";
    if (metadata_at(file, "format", what) != "ebmkit-jem") throw Error(what + ": not an ebmkit JEM checkpoint");
    // Read and look up everything first, so a bad file changes nothing.
    const detail::SavedTraining saved = detail::read_training(file, model_, what);
    // The global buffer; this rank's part of it (any rank count that splits it).
    ConstTensorView buffer;
    if (sampler_.buffer()) {
        buffer = detail::shard_rows(file.at("replay_buffer", {options_.sampler.buffer_size, model_.input_dim()}), comm_);
    }
    const auto rounds = static_cast<std::uint32_t>(std::stoul(metadata_at(file, "sampler_rounds", what)));
    const detail::TrainingPosition at = detail::restore_training(saved, file, model_, optimizer_);
    sampler_.restore(buffer, rounds);
    const auto saved_ranks = file.metadata.find("ranks");
    if (saved_ranks != file.metadata.end() && saved_ranks->second != std::to_string(comm_.size()) && sampler_.buffer()) {
        events_.push_back("resumed a checkpoint of " + saved_ranks->second + " ranks on " +
                          std::to_string(comm_.size()) + ": the replay buffer re-sharded");
    }
    iterations_ = at.iterations;
    epoch_ = at.epoch;
    batch_in_epoch_ = at.batch_in_epoch;
    words_stale_ = true;
    take_snapshot();
}

}  // namespace ebmkit
