#include "ebmkit/rbm_trainer.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "batching.hpp"
#include "ebmkit/checkpoint.hpp"
#include "check.hpp"
#include "data_parallel.hpp"
#include "device_memory.hpp"
#include "ebmkit/philox.hpp"
#include "ops/ops.hpp"

namespace ebmkit {

namespace {

void check_options(const RbmTrainOptions& o, const Communicator& comm) {
    constexpr const char* op = "RbmTrainer";
    if (o.k < 1) detail::fail(std::string(op) + ": options.k must be >= 1, got 0");
    if (o.batch < 1) detail::fail(std::string(op) + ": options.batch must be >= 1, got " + std::to_string(o.batch));
    if (o.chains < 0) detail::fail(std::string(op) + ": options.chains must be >= 0, got " + std::to_string(o.chains));
    detail::check_positive(op, "options.lr", o.lr);
    detail::check_non_negative(op, "options.lr_decay", o.lr_decay);
    detail::check_non_negative(op, "options.weight_decay", o.weight_decay);
    if (!(o.momentum >= 0.0f && o.momentum < 1.0f)) {
        detail::fail(std::string(op) + ": options.momentum must be in [0, 1), got " + std::to_string(o.momentum));
    }
    if (o.tempering_replicas != 0) {
        if (o.tempering_replicas < 2) {
            detail::fail(std::string(op) + ": options.tempering_replicas must be 0 or >= 2, got " +
                         std::to_string(o.tempering_replicas));
        }
        if (!o.persistent) detail::fail(std::string(op) + ": parallel tempering needs persistent chains, not CD");
        geometric_betas(o.tempering_replicas, o.tempering_beta_min);  // checks beta_min
        if (comm.size() > 1) {
            detail::fail(std::string(op) + ": parallel tempering runs on one rank; this communicator has " +
                         std::to_string(comm.size()));
        }
    }
    detail::check_split(op, "options.batch", o.batch, comm);
    if (o.persistent && o.chains) detail::check_split(op, "options.chains", o.chains, comm);
}

constexpr float centering_rate = 0.01f;

// offset <- (1 - rate) offset + rate * the mean row of x.
void follow_mean(Context& ctx, TensorView offset, ConstTensorView x, float rate = centering_rate) {
    detail::ops(ctx).rbm.follow_mean(ctx, offset.data<float>(), x.data<float>(), x.dim(0), x.dim(1), rate);
}

// The plain ascent direction in grad into the centred one at offsets mu, lambda.
void center(Context& ctx, Rbm& grad, ConstTensorView mu, ConstTensorView lambda) {
    detail::ops(ctx).rbm.center_gradient(ctx, grad, mu.data<float>(), lambda.data<float>());
}

// What the divergence guard restores of the PT chains.
struct TemperingSnapshot {
    Tensor states, hidden_states;
    std::uint32_t sweeps = 0;
    std::vector<std::int64_t> accepted, attempted;
};

TemperingSnapshot snapshot_of(const ParallelTempering& pt) {
    return {pt.states().clone(), pt.hidden_states().clone(), pt.sweeps(), pt.swaps_accepted(), pt.swaps_attempted()};
}

void momentum_update(Context& ctx, TensorView param, TensorView velocity, ConstTensorView grad, float lr, float momentum,
                     float decay) {
    detail::ops(ctx).optim.momentum_ascent(ctx, param.data<float>(), velocity.data<float>(), grad.data<float>(),
                                           param.numel(), lr, momentum, decay);
}

// b and c, with the zero gap between them (Rbm::flat): one launch updates both.
TensorView biases_of(Rbm& rbm) {
    float* b = rbm.b().data<float>();
    const std::int64_t n = rbm.flat().numel() - (b - rbm.flat().data<float>());
    return {b, {n}, DType::F32, rbm.device()};
}

}  // namespace

RbmTrainer::RbmTrainer(Context& ctx, Rbm& rbm, const RbmTrainOptions& options, Communicator comm)
    : ctx_(ctx), rbm_(rbm), options_(options), comm_(std::move(comm)), grad_(rbm.visible(), rbm.hidden(), rbm.device()),
      velocity_(rbm.visible(), rbm.hidden(), rbm.device()) {
    check_options(options_, comm_);
    detail::check_model("RbmTrainer", ctx, rbm);
    // The counts of an update's reductions, agreed once: the gradient (with the batch's
    // means when centred) and the stop flag.
    const std::int64_t means = options_.centered ? rbm.visible() + rbm.hidden() : 0;
    for (const std::int64_t count : {grad_.flat().numel() + means, std::int64_t{1}}) comm_.agree_count(count);
}

// One update from this rank's rows of a batch: the chains' sweeps (or the tempering
// sweeps) and the gradient, the centring, the all-reduce of several ranks, the momentum
// step; with a step counter on the device (a replayed update), its steps are the
// counter's, which it advances.
void RbmTrainer::update(ConstTensorView batch, Tensor& restart, std::int64_t offset, std::int64_t count, float lr,
                        std::uint32_t* counter) {
    const int ranks = comm_.size(), rank = comm_.rank();
    const std::int64_t d = rbm_.visible(), mine = batch.dim(0);
    if (tempering_) {
        tempering_->run(rbm_, options_.k);
        rbm_gradient(ctx_, rbm_, batch, tempering_->samples(), grad_);
    } else {
        Tensor& chains = options_.persistent ? chains_ : restart;
        // The chains' global index and the global batch's row counts.
        const RbmShard shard{static_cast<std::uint32_t>(options_.persistent ? rank * chains.dim(0) : offset), count,
                             options_.persistent ? ranks * chains.dim(0) : count};
        // Replayed, the steps are the device counter's (step_).
        detail::ops(ctx_).rbm.cd_gradient(ctx_, rbm_, batch, chains, grad_, Steps{counter ? 0u : step_, options_.k},
                                          shard, counter);
    }
    if (options_.centered) rbm_hidden_probs(ctx_, rbm_, batch, hidden_probs_);
    if (ranks == 1) {
        if (options_.centered) {
            follow_mean(ctx_, visible_offset_, batch);
            follow_mean(ctx_, hidden_offset_, hidden_probs_);
        }
    } else {
        // One all-reduce: the gradient, and when centred this rank's share of the global
        // batch's means (mine / count times its own), zeroed first.
        std::vector<TensorView> reduced = {grad_.flat()};
        if (options_.centered) {
            detail::ensure(ctx_, batch_means_, {d + rbm_.hidden()}, DType::F32);
            detail::zero(ctx_, batch_means_);
            const float share = static_cast<float>(mine) / static_cast<float>(count);
            follow_mean(ctx_, TensorView(batch_means_.data<float>(), {d}, DType::F32, ctx_.device()), batch, share);
            follow_mean(ctx_, TensorView(batch_means_.data<float>() + d, {rbm_.hidden()}, DType::F32, ctx_.device()),
                        hidden_probs_, share);
            reduced.push_back(batch_means_);
        }
        comm_.allreduce_sum(reduced);
        if (options_.centered) {
            // The offsets follow the global means: the mean of one row is the row.
            follow_mean(ctx_, visible_offset_,
                        ConstTensorView(batch_means_.data<float>(), {1, d}, DType::F32, ctx_.device()));
            follow_mean(ctx_, hidden_offset_,
                        ConstTensorView(batch_means_.data<float>() + d, {1, rbm_.hidden()}, DType::F32,
                                        ctx_.device()));
        }
    }
    if (options_.centered) center(ctx_, grad_, visible_offset_, hidden_offset_);
    momentum_update(ctx_, rbm_.w(), velocity_.w(), grad_.w(), lr, options_.momentum, options_.weight_decay);
    momentum_update(ctx_, biases_of(rbm_), biases_of(velocity_), biases_of(grad_), lr, options_.momentum, 0.0f);
    if (counter) detail::ops(ctx_).graph.advance(ctx_, counter, options_.k, nullptr);
}

RbmEpochStats RbmTrainer::train_epoch(const Tensor& data, const std::function<void(std::int64_t, std::int64_t)>& progress,
                                      const std::atomic<bool>* stop) {
    constexpr const char* op = "RbmTrainer::train_epoch";
    detail::check_tensor(op, "data", data, {detail::any_dim, rbm_.visible()}, DType::F32, Device::Host);
    const std::int64_t n = data.dim(0);
    const float lr = options_.lr / (1.0f + options_.lr_decay * static_cast<float>(epoch_));
    const std::vector<std::int64_t> order = detail::shuffled_order(n, ctx_.seed(), static_cast<std::uint32_t>(epoch_), 0);
    const int ranks = comm_.size(), rank = comm_.rank();
    if (options_.persistent && chains_.empty() && !tempering_) {
        // PCD chains (and each PT chain's replicas) start at random training rows; this
        // rank's are chains rank * count .. of the global set.
        const std::int64_t global = options_.chains ? options_.chains : std::min(options_.batch, n);
        detail::check_split(op, "the chain count", global, comm_);
        const std::int64_t count = global / ranks;
        std::vector<std::int64_t> rows(static_cast<std::size_t>(count));
        for (std::int64_t c = 0; c < count; ++c) rows[c] = order[(rank * count + c) % n];
        const Tensor start = detail::gather_rows(data, rows.data(), count, ctx_.device());
        if (options_.tempering_replicas > 0) {
            tempering_.emplace(ctx_, rbm_.visible(), rbm_.hidden(), count,
                               geometric_betas(options_.tempering_replicas, options_.tempering_beta_min));
            tempering_->reset(start);
        } else {
            chains_ = start.clone();
        }
    }
    if (options_.centered && visible_offset_.empty()) {
        // mu starts at the training data's mean, lambda at 1/2.
        std::vector<double> mean(static_cast<std::size_t>(rbm_.visible()), 0.0);
        for (std::int64_t r = 0; r < n; ++r) {
            for (std::int64_t i = 0; i < rbm_.visible(); ++i) mean[i] += data.data<float>()[r * rbm_.visible() + i];
        }
        std::vector<float> mu(mean.size());
        for (std::size_t i = 0; i < mu.size(); ++i) mu[i] = static_cast<float>(mean[i] / static_cast<double>(n));
        visible_offset_ = Tensor::from(mu, {rbm_.visible()}).to(ctx_.device());
        hidden_offset_ = Tensor::from(std::vector<float>(static_cast<std::size_t>(rbm_.hidden()), 0.5f), {rbm_.hidden()})
                             .to(ctx_.device());
    }
    // A last partial batch counts when every rank gets a row of it.
    const std::int64_t batches = n / options_.batch + (n % options_.batch >= ranks ? 1 : 0), d = rbm_.visible();
    // The epoch's rows in their shuffled order, uploaded once; each batch is a view,
    // CD-k's chains restart in one reused buffer.
    const Tensor shuffled = detail::gather_rows(data, order.data(), n, ctx_.device());
    // What the divergence guard restores: the epoch's starting state.
    const Rbm start_rbm = rbm_.to(rbm_.device()), start_velocity = velocity_.to(velocity_.device());
    const Tensor start_chains = chains_.clone();
    const Tensor start_visible_offset = visible_offset_.clone(), start_hidden_offset = hidden_offset_.clone();
    const std::optional<TemperingSnapshot> start_tempering =
        tempering_ ? std::optional<TemperingSnapshot>(snapshot_of(*tempering_)) : std::nullopt;
    const std::uint32_t start_step = step_;
    Tensor restart;
    // One rank, no tempering: each update replays one recorded launch sequence (on CUDA a
    // graph), its draws keyed by a step counter on the device set from step_ here.
    const bool replayed = !tempering_ && ranks == 1;
    if (replayed) {
        detail::ensure(ctx_, step_counter_, {1}, DType::I32);
        const Tensor step = Tensor::from(std::vector<std::int32_t>{static_cast<std::int32_t>(step_)}, {1});
        copy(step, step_counter_);
        if (!update_) update_ = std::make_shared<detail::Recording>();
    }
    const std::int64_t first = std::min(batch_in_epoch_, batches);
    for (std::int64_t start = first * options_.batch; start < batches * options_.batch; start += options_.batch) {
        const std::int64_t count = std::min(options_.batch, n - start);
        // This rank's rows of the global batch: count / ranks, the first count % ranks
        // ranks one more.
        const std::int64_t mine = count / ranks + (rank < count % ranks ? 1 : 0);
        const std::int64_t offset = rank * (count / ranks) + std::min<std::int64_t>(rank, count % ranks);
        ConstTensorView batch(shuffled.data<float>() + (start + offset) * d, {mine, d}, DType::F32, ctx_.device());
        if (!options_.persistent) {
            detail::ensure(ctx_, restart, {mine, d}, DType::F32);
            detail::copy_on_stream(ctx_, batch, restart);
        }
        if (replayed) {
            // A replayed update reads its batch at one address.
            detail::ensure(ctx_, batch_, {mine, d}, DType::F32);
            detail::copy_on_stream(ctx_, batch, batch_);
            batch = batch_;
        }
        auto* counter = replayed ? reinterpret_cast<std::uint32_t*>(step_counter_.data<std::int32_t>()) : nullptr;
        if (options_.centered) detail::ensure(ctx_, hidden_probs_, {mine, rbm_.hidden()}, DType::F32);
        if (replayed) {
            // Everything the sequence's launches read: a change is a new recording.
            const Tensor& chains = options_.persistent ? chains_ : restart;
            const std::uint64_t signature = detail::signature_of(
                {static_cast<std::uint64_t>(mine), detail::bits_of(lr), options_.centered, detail::address(chains), detail::address(batch_),
                 detail::address(hidden_probs_), detail::address(visible_offset_), detail::address(hidden_offset_), detail::address(rbm_.flat()),
                 detail::address(grad_.flat()), detail::address(velocity_.flat()), detail::address(step_counter_),
                 static_cast<std::uint64_t>(offset), static_cast<std::uint64_t>(count)});
            detail::ops(ctx_).graph.replay(ctx_, *update_, signature,
                                           [&] { update(batch, restart, offset, count, lr, counter); });
        } else {
            update(batch, restart, offset, count, lr, nullptr);
        }
        step_ += options_.k;
        batch_in_epoch_ = start / options_.batch + 1;
        if (progress) progress(batch_in_epoch_, batches);
        if (stop && detail::on_any_rank(comm_, stop->load()) && batch_in_epoch_ < batches) {
            return {epoch_, lr, batch_in_epoch_ - first, true, tempering_ ? tempering_->swap_rates() : std::vector<double>{}};
        }
    }
    if (const std::string why = divergence(shuffled); !why.empty()) {
        for (const auto& [to, from] : {std::pair{rbm_.parameters(), start_rbm.parameters()},
                                       std::pair{velocity_.parameters(), start_velocity.parameters()}}) {
            for (std::size_t i = 0; i < to.size(); ++i) to[i].copy_from(from[i]);
        }
        if (!chains_.empty()) chains_.copy_from(start_chains);
        if (!visible_offset_.empty()) {
            visible_offset_.copy_from(start_visible_offset);
            hidden_offset_.copy_from(start_hidden_offset);
        }
        if (start_tempering) {
            const TemperingSnapshot& t = *start_tempering;
            tempering_->restore(t.states, t.hidden_states, t.sweeps, t.accepted, t.attempted);
        }
        step_ = start_step;
        batch_in_epoch_ = first;
        char rate[32];
        std::snprintf(rate, sizeof rate, "%g", static_cast<double>(lr));
        detail::fail(std::string(op) + ": epoch " + std::to_string(epoch_ + 1) + " diverged at lr " + rate + " (" + why +
                     "); the RBM and the trainer are as they were before it");
    }
    ++epoch_;
    batch_in_epoch_ = 0;
    return {epoch_, lr, batches - first, false, tempering_ ? tempering_->swap_rates() : std::vector<double>{}};
}

void RbmTrainer::save(const std::string& path, const std::map<std::string, std::string>& metadata) const {
    CheckpointContents c;
    add_model(c, static_cast<const Rbm&>(rbm_), "RbmTrainer::save (" + path + ")");
    const Rbm& velocity = velocity_;
    c.tensors.emplace_back("velocity.W", velocity.w());
    c.tensors.emplace_back("velocity.b", velocity.b());
    c.tensors.emplace_back("velocity.c", velocity.c());
    // Every rank's chains, stacked into the global set (a collective; one rank: a copy).
    const Tensor chains = chains_.empty() ? Tensor() : detail::stack_shards(comm_, chains_);
    if (!chains.empty()) c.tensors.emplace_back("chains", chains);
    c.metadata = metadata;
    if (!visible_offset_.empty()) {
        c.tensors.emplace_back("centering.visible_offset", visible_offset_);
        c.tensors.emplace_back("centering.hidden_offset", hidden_offset_);
    }
    if (tempering_) {
        c.tensors.emplace_back("tempering.states", tempering_->states());
        c.tensors.emplace_back("tempering.hidden_states", tempering_->hidden_states());
        c.metadata["tempering_replicas"] = std::to_string(tempering_->betas().size());
        c.metadata["tempering_sweeps"] = std::to_string(tempering_->sweeps());
        c.metadata["tempering_accepted"] = join_integers(tempering_->swaps_accepted());
        c.metadata["tempering_attempted"] = join_integers(tempering_->swaps_attempted());
    }
    c.metadata["trainer_epoch"] = std::to_string(epoch_);
    c.metadata["trainer_batch_in_epoch"] = std::to_string(batch_in_epoch_);
    c.metadata["trainer_step"] = std::to_string(step_);
    c.metadata["ranks"] = std::to_string(comm_.size());
    // Rank 0 writes; every rank learns that the file is whole (or why not) before going on.
    detail::write_on_rank_zero(comm_, [&] { c.write(path); });
}

void RbmTrainer::load(const std::string& path) {
    const SafeTensors file = load_safetensors(path);
    const std::string what = "RbmTrainer::load (" + path + ")";
    // Read and look up everything first, so a file that does not fit changes nothing.
    const Rbm saved = read_rbm(file, rbm_.device());
    if (saved.visible() != rbm_.visible() || saved.hidden() != rbm_.hidden()) {
        detail::fail(what + ": the file holds a " + std::to_string(saved.visible()) + " x " +
                     std::to_string(saved.hidden()) + " RBM, the trainer's is " + std::to_string(rbm_.visible()) +
                     " x " + std::to_string(rbm_.hidden()));
    }
    const Tensor& vw = file.at("velocity.W", rbm_.w().shape());
    const Tensor& vb = file.at("velocity.b", rbm_.b().shape());
    const Tensor& vc = file.at("velocity.c", rbm_.c().shape());
    const auto chains = file.tensors.find("chains");
    if (chains != file.tensors.end()) {
        detail::check_tensor(what.c_str(), "chains", chains->second, {detail::any_dim, rbm_.visible()}, DType::F32,
                             Device::Host);
        // The global set, split among this run's ranks (whatever count wrote it).
        detail::check_split(what.c_str(), "the checkpoint's chain count", chains->second.dim(0), comm_);
    }
    // PT state: the replicas, the sweep count and the swap counters, for the same ladder.
    const auto states = file.tensors.find("tempering.states");
    const int replicas = states == file.tensors.end() ? 0 : std::stoi(metadata_at(file, "tempering_replicas", what));
    if (replicas != options_.tempering_replicas) {
        detail::fail(what + ": the checkpoint holds " +
                     (replicas ? std::to_string(replicas) + " parallel-tempering replicas" : std::string("no parallel-tempering chains")) +
                     ", the trainer's options ask for " + std::to_string(options_.tempering_replicas));
    }
    // Centring offsets, where the trainer is centred (a checkpoint before the first epoch has none yet).
    const auto mu = file.tensors.find("centering.visible_offset");
    if (mu != file.tensors.end() && !options_.centered) {
        detail::fail(what + ": the checkpoint is of centred training, the trainer's options are not centred");
    }
    const Tensor* lambda = mu == file.tensors.end() ? nullptr : &file.at("centering.hidden_offset", rbm_.c().shape());
    if (mu != file.tensors.end()) file.at("centering.visible_offset", rbm_.b().shape());
    std::optional<ParallelTempering> tempering;
    if (replicas > 0) {
        const Tensor& s = states->second;
        if (s.rank() != 2 || s.dim(0) % replicas != 0) detail::fail(what + ": tempering.states is " + s.shape().str());
        const std::int64_t chains = s.dim(0) / replicas;
        const Tensor& hs = file.at("tempering.hidden_states", {s.dim(0), rbm_.hidden()});
        tempering.emplace(ctx_, rbm_.visible(), rbm_.hidden(), chains,
                          geometric_betas(options_.tempering_replicas, options_.tempering_beta_min));
        const Tensor states_here = s.to(ctx_.device()), hidden_here = hs.to(ctx_.device());
        tempering->restore(states_here, hidden_here,
                           static_cast<std::uint32_t>(std::stoul(metadata_at(file, "tempering_sweeps", what))),
                           split_integers(metadata_at(file, "tempering_accepted", what), what + " (tempering_accepted)"),
                           split_integers(metadata_at(file, "tempering_attempted", what), what + " (tempering_attempted)"));
    }
    const int epoch = std::stoi(metadata_at(file, "trainer_epoch", what));
    const std::int64_t batch_in_epoch = std::stoll(metadata_at(file, "trainer_batch_in_epoch", what));
    const auto step = static_cast<std::uint32_t>(std::stoul(metadata_at(file, "trainer_step", what)));
    const std::vector<ConstTensorView> from = saved.parameters();
    const std::vector<TensorView> to = rbm_.parameters();
    for (std::size_t i = 0; i < to.size(); ++i) to[i].copy_from(from[i]);
    velocity_.w().copy_from(vw);
    velocity_.b().copy_from(vb);
    velocity_.c().copy_from(vc);
    chains_ = chains == file.tensors.end() ? Tensor()
                                            : Tensor::copy_of(detail::shard_rows(chains->second, comm_), ctx_.device());
    visible_offset_ = lambda ? mu->second.to(ctx_.device()) : Tensor();
    hidden_offset_ = lambda ? lambda->to(ctx_.device()) : Tensor();
    tempering_.reset();
    if (tempering) tempering_.emplace(std::move(*tempering));  // built and checked above: moved, not rebuilt
    epoch_ = epoch;
    batch_in_epoch_ = batch_in_epoch;
    step_ = step;
}

std::string RbmTrainer::divergence(ConstTensorView shuffled) {
    const char* names[] = {"W", "b", "c"};
    const std::vector<ConstTensorView> params = static_cast<const Rbm&>(rbm_).parameters();
    for (std::size_t i = 0; i < params.size(); ++i) {
        for (float v : params[i].to_vector<float>()) {
            if (!std::isfinite(v)) return std::string("a value of ") + names[i] + " is not finite";
        }
    }
    // The free energies of the epoch's first rows (at most a batch).
    const std::int64_t rows = std::min(options_.batch, shuffled.dim(0));
    const ConstTensorView head(shuffled.raw(), {rows, shuffled.dim(1)}, DType::F32, shuffled.device());
    Tensor f({rows}, DType::F32, ctx_.device());
    free_energy(ctx_, rbm_, head, f);
    for (float v : f.to_vector<float>()) {
        if (!std::isfinite(v)) return "the free energy of a training row is not finite";
    }
    return {};
}

}  // namespace ebmkit
