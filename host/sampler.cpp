#include "ebmkit/sampler.hpp"

#include <limits>
#include <string>

#include "check.hpp"
#include "device_memory.hpp"
#include "ebmkit/philox.hpp"
#include "ops/ops.hpp"

namespace ebmkit {

namespace {

// U(lo, hi) rows keyed (ctx.seed(), ChainInit, chain = first_chain + r, step) into x [rows, dim] on ctx.device().
void fill_uniform(Context& ctx, TensorView x, float lo, float hi, std::uint32_t first_chain, detail::StepKey step) {
    detail::ops(ctx).sampler.uniform_rows(ctx, x.data<float>(), x.dim(0), x.dim(1), lo, hi, first_chain, step);
}

// The values of a [n] int32 tensor (on either device), for the public calls' checks.
std::vector<std::int32_t> values_of(ConstTensorView t) {
    Tensor host({t.dim(0)}, DType::I32);
    copy(t, host);
    return host.to_vector<std::int32_t>();
}

}  // namespace

ReplayBuffer::ReplayBuffer(Context& ctx, std::int64_t size, std::int64_t dim, float lo, float hi, std::int64_t classes,
                           std::uint32_t first_slot)
    : ctx_(&ctx), classes_(classes), lo_(lo), hi_(hi), seed_(ctx.seed()) {
    constexpr const char* op = "ReplayBuffer";
    if (size < 1 || dim < 1) {
        detail::fail(std::string(op) + ": size and dim must be >= 1, got " + std::to_string(size) + " and " +
                     std::to_string(dim));
    }
    if (size > std::numeric_limits<std::int32_t>::max()) detail::fail(std::string(op) + ": size must fit in int32");
    if (classes < 1 || size % classes != 0) {
        detail::fail(std::string(op) + ": classes must be >= 1 and divide size " + std::to_string(size) + ", got " +
                     std::to_string(classes));
    }
    detail::check_finite(op, "lo", lo);
    detail::check_finite(op, "hi", hi);
    if (!(lo < hi)) detail::fail(std::string(op) + ": lo must be < hi");
    buffer_ = Tensor({size, dim}, DType::F32, ctx);
    fill_uniform(ctx, buffer_, lo, hi, first_slot, {0});
}

namespace {
kernels::ReplayShape shape_of(const Tensor& buffer, std::int64_t classes, float lo, float hi, std::uint64_t seed,
                              std::uint32_t first_row) {
    return {buffer.dim(0), buffer.dim(1), classes, lo, hi, seed, first_row};
}
}  // namespace

void ReplayBuffer::check_classes(const char* op, std::int64_t batch, ConstTensorView row_classes) const {
    if (classes_ == 1 && !row_classes.raw()) return;
    if (!row_classes.raw()) {
        detail::fail(std::string(op) + ": a buffer of " + std::to_string(classes_) +
                     " classes needs row_classes, one class per row");
    }
    detail::check_tensor(op, "row_classes", row_classes, {batch}, DType::I32, buffer_.device());
    const std::vector<std::int32_t> c = values_of(row_classes);
    for (std::size_t b = 0; b < c.size(); ++b) {
        if (c[b] < 0 || c[b] >= classes_) {
            detail::fail(std::string(op) + ": row_classes[" + std::to_string(b) + "] = " + std::to_string(c[b]) +
                         " is outside [0, " + std::to_string(classes_) + ")");
        }
    }
}

void ReplayBuffer::draw_rows(std::int64_t batch, float reinit, detail::StepKey round, const std::int32_t* row_classes,
                             float* out, std::int32_t* slots, std::uint32_t first_row) const {
    detail::ops(*ctx_).sampler.replay_draw(*ctx_, shape_of(buffer_, classes_, lo_, hi_, seed_, first_row),
                                           buffer_.data<float>(), batch, reinit, round, row_classes, out, slots);
}

void ReplayBuffer::store_rows(std::int64_t batch, detail::StepKey round, const std::int32_t* slots,
                              const std::int32_t* row_classes, const float* samples, std::uint32_t first_row,
                              const std::int32_t* skip) {
    detail::ensure(*ctx_, store_scratch_, {size() + batch}, DType::I32);
    detail::ops(*ctx_).sampler.replay_store(*ctx_, shape_of(buffer_, classes_, lo_, hi_, seed_, first_row),
                                            buffer_.data<float>(), batch, round, slots, row_classes, samples,
                                            store_scratch_.data<std::int32_t>(), skip);
}

Tensor ReplayBuffer::draw(std::int64_t batch, float reinit, std::uint32_t round, Tensor& slots,
                          ConstTensorView row_classes) const {
    constexpr const char* op = "ReplayBuffer::draw";
    if (batch < 1) detail::fail(std::string(op) + ": batch must be >= 1, got " + std::to_string(batch));
    if (!(reinit >= 0.0f && reinit <= 1.0f)) detail::fail(std::string(op) + ": reinit must be in [0, 1]");
    check_classes(op, batch, row_classes);
    Tensor out({batch, buffer_.dim(1)}, DType::F32, *ctx_);
    slots = Tensor({batch}, DType::I32, *ctx_);
    draw_rows(batch, reinit, {round}, row_classes.raw() ? row_classes.data<std::int32_t>() : nullptr, out.data<float>(),
              slots.data<std::int32_t>());
    return out;
}

void ReplayBuffer::store(ConstTensorView slots, ConstTensorView samples, std::uint32_t round, ConstTensorView row_classes) {
    constexpr const char* op = "ReplayBuffer::store";
    detail::check_tensor(op, "slots", slots, {detail::any_dim}, DType::I32, buffer_.device());
    const std::int64_t batch = slots.dim(0);
    check_classes(op, batch, row_classes);
    detail::check_tensor(op, "samples", samples, {batch, buffer_.dim(1)}, DType::F32, buffer_.device());
    const std::vector<std::int32_t> s = values_of(slots);
    for (std::size_t b = 0; b < s.size(); ++b) {
        if (s[b] < -1 || s[b] >= size()) {
            detail::fail(std::string(op) + ": slots[" + std::to_string(b) + "] = " + std::to_string(s[b]) +
                         " is neither -1 nor a slot of the buffer");
        }
    }
    store_rows(batch, {round}, slots.data<std::int32_t>(), row_classes.raw() ? row_classes.data<std::int32_t>() : nullptr,
               samples.data<float>());
}

void ReplayBuffer::assign(ConstTensorView samples) {
    detail::check_tensor("ReplayBuffer::assign", "samples", samples, {buffer_.dim(0), buffer_.dim(1)}, DType::F32,
                         samples.device());
    copy(samples, buffer_);
}

void LangevinSampler::restore(ConstTensorView buffer_samples, std::uint32_t rounds) {
    if (buffer_) buffer_->assign(buffer_samples);
    round_ = rounds;
}

LangevinSampler::LangevinSampler(Context& ctx, std::int64_t dim, const SamplerOptions& options)
    : ctx_(ctx), dim_(dim), options_(options) {
    constexpr const char* op = "LangevinSampler";
    if (dim < 1) detail::fail(std::string(op) + ": dim must be >= 1, got " + std::to_string(dim));
    if (options.steps < 1) detail::fail(std::string(op) + ": options.steps must be >= 1");
    if (options.classes < 1) detail::fail(std::string(op) + ": options.classes must be >= 1");
    if (options.shards < 1 || options.shard < 0 || options.shard >= options.shards) {
        detail::fail(std::string(op) + ": options.shard must be in [0, options.shards), got shard " +
                     std::to_string(options.shard) + " of " + std::to_string(options.shards));
    }
    const bool box_start = options.start == ChainStart::Uniform || options.start == ChainStart::ReplayBuffer ||
                           options.start == ChainStart::Persistent;
    if (box_start && !options.step.clamp) {
        detail::fail(std::string(op) + ": uniform, replay and persistent starts draw from the clamp box; set "
                     "options.step.clamp");
    }
    if (options.start == ChainStart::ReplayBuffer) {
        if (!(options.reinit >= 0.0f && options.reinit <= 1.0f)) {
            detail::fail(std::string(op) + ": options.reinit must be in [0, 1], got " + std::to_string(options.reinit));
        }
        // This shard's part of the global buffer.
        if (options.buffer_size % options.shards != 0) {
            detail::fail(std::string(op) + ": options.buffer_size " + std::to_string(options.buffer_size) +
                         " must divide among " + std::to_string(options.shards) + " shards");
        }
        // ReplayBuffer checks that the classes divide the part.
        const std::int64_t part = options.buffer_size / options.shards;
        buffer_.emplace(ctx, part, dim, options.step.lo, options.step.hi, options.classes,
                        static_cast<std::uint32_t>(options.shard * part));
    }
}

std::uint32_t LangevinSampler::first_row(std::int64_t batch) const {
    return static_cast<std::uint32_t>(options_.shard * batch);
}

void LangevinSampler::start(std::int64_t batch, ConstTensorView data, SampleRound& round) {
    constexpr const char* op = "LangevinSampler::sample";
    const std::uint32_t row0 = first_row(batch);
    TensorView x = round.samples;
    switch (options_.start) {
        case ChainStart::Uniform:
            fill_uniform(ctx_, x, options_.step.lo, options_.step.hi, row0, round_key(1));
            break;
        case ChainStart::Normal: {
            // On the host: a start used by tests and demos, not by a training loop.
            Tensor host({batch, dim_});
            for (std::int64_t r = 0; r < batch; ++r) {
                for (std::int64_t i = 0; i < dim_; ++i) {
                    host.data<float>()[r * dim_ + i] = philox_normal(ctx_.seed(), RngPurpose::ChainInit,
                                                                     row0 + static_cast<std::uint32_t>(r), round_ + 1,
                                                                     static_cast<std::uint32_t>(i));
                }
            }
            copy(host, x);
            break;
        }
        case ChainStart::Data:
            detail::check_tensor(op, "data", data, {batch, dim_}, DType::F32, ctx_.device());
            detail::copy_on_stream(ctx_, data, x);
            break;
        case ChainStart::ReplayBuffer:
            buffer_->draw_rows(batch, options_.reinit, round_key(0),
                               round.labels.empty() || buffer_->classes() == 1 ? nullptr : round.labels.data<std::int32_t>(),
                               x.data<float>(), round.slots.data<std::int32_t>(), row0);
            break;
        case ChainStart::Persistent:
            if (chains_.empty()) {
                fill_uniform(ctx_, x, options_.step.lo, options_.step.hi, row0, {0});
            } else if (chains_.dim(0) != batch) {
                detail::fail(std::string(op) + ": persistent chains hold " + std::to_string(chains_.dim(0)) +
                             " rows; batch must stay " + std::to_string(chains_.dim(0)) + ", got " +
                             std::to_string(batch));
            } else {
                detail::copy_on_stream(ctx_, chains_, x);
            }
            break;
    }
}

SampleRound LangevinSampler::draw_round(const MlpEnergy& model, std::int64_t batch, ConstTensorView data,
                                        ConstTensorView labels) {
    constexpr const char* op = "LangevinSampler::sample";
    detail::check_model(op, ctx_, model);
    if (model.input_dim() != dim_) {
        detail::fail(std::string(op) + ": the model's input dimension " + std::to_string(model.input_dim()) +
                     " differs from the sampler's " + std::to_string(dim_));
    }
    if (batch < 1) detail::fail(std::string(op) + ": batch must be >= 1, got " + std::to_string(batch));
    // The storage of the last kept round, reshaped where this one differs.
    SampleRound round = std::move(spare_);
    spare_ = SampleRound();
    round.number = round_;
    detail::ensure(ctx_, round.samples, {batch, dim_}, DType::F32);
    if (options_.start == ChainStart::ReplayBuffer) detail::ensure(ctx_, round.slots, {batch}, DType::I32);
    else round.slots = Tensor();
    const bool labelled = labels.raw() || options_.classes > 1;
    if (labelled) detail::ensure(ctx_, round.labels, {batch}, DType::I32);
    else round.labels = Tensor();
    if (labels.raw()) {
        detail::check_labels(op, ctx_, model, labels, batch);
        if (options_.classes > 1) {
            for (std::int32_t y : values_of(labels)) {
                if (y >= options_.classes) {
                    detail::fail(std::string(op) + ": label " + std::to_string(y) + " is outside the sampler's " +
                                 std::to_string(options_.classes) + " classes");
                }
            }
        }
        detail::copy_on_stream(ctx_, labels, round.labels);
    } else if (options_.classes > 1) {
        if (options_.classes > model.num_outputs()) {
            detail::fail(std::string(op) + ": the sampler has " + std::to_string(options_.classes) +
                         " classes, the model only " + std::to_string(model.num_outputs()) + " outputs");
        }
        detail::ops(ctx_).sampler.draw_classes(ctx_, options_.classes, round_key(0), batch, round.labels.data<std::int32_t>(),
                                               first_row(batch));
    }
    start(batch, data, round);
    LangevinParams step = options_.step;
    step.first_chain += first_row(batch);
    // The chain without langevin_chain's checks: the labels are the caller's, checked
    // above, or drawn here. Round t's steps are keyed t * steps, t * steps + 1, ...
    const detail::StepKey first = counters_ ? detail::StepKey{0, counters_ + 1} : detail::StepKey{round_ * options_.steps};
    stats_ = detail::ops(ctx_).langevin.chain(ctx_, model,
                                              round.labels.empty() ? nullptr : round.labels.data<std::int32_t>(),
                                              round.samples, step, Steps{first.base, options_.steps}, first.counter,
                                              options_.trace, chain_scratch_);
    return round;
}

void LangevinSampler::keep_round(SampleRound& round) {
    if (round.number != round_ || round.samples.empty()) {
        detail::fail("LangevinSampler::keep_round: round " + std::to_string(round.number) +
                     " is not the one drawn last (" + std::to_string(round_) + "), or was kept already");
    }
    const std::int64_t batch = round.samples.dim(0);
    if (options_.start == ChainStart::ReplayBuffer) {
        buffer_->store_rows(batch, {round_}, round.slots.data<std::int32_t>(),
                            round.labels.empty() || buffer_->classes() == 1 ? nullptr : round.labels.data<std::int32_t>(),
                            round.samples.data<float>(), first_row(batch));
    }
    // The round's chains become the persistent ones; the old chains' storage is the spare.
    if (options_.start == ChainStart::Persistent) std::swap(chains_, round.samples);
    ++round_;
    spare_ = std::move(round);
    round = SampleRound();
}

void LangevinSampler::keep_counted_round(SampleRound& round, const std::int32_t* skip) {
    const std::int64_t batch = round.samples.dim(0);
    if (options_.start == ChainStart::ReplayBuffer) {
        buffer_->store_rows(batch, round_key(0), round.slots.data<std::int32_t>(),
                            round.labels.empty() || buffer_->classes() == 1 ? nullptr : round.labels.data<std::int32_t>(),
                            round.samples.data<float>(), first_row(batch), skip);
    }
    const detail::GraphOps& graph = detail::ops(ctx_).graph;
    graph.advance(ctx_, counters_, 1, skip);
    graph.advance(ctx_, counters_ + 1, options_.steps, skip);
    spare_ = std::move(round);
    round = SampleRound();
}

Tensor LangevinSampler::sample(const MlpEnergy& model, std::int64_t batch, ConstTensorView data, ConstTensorView labels) {
    SampleRound round = draw_round(model, batch, data, labels);
    Tensor out(round.samples.shape(), DType::F32, ctx_);
    detail::copy_on_stream(ctx_, round.samples, out);
    keep_round(round);
    return out;
}

}  // namespace ebmkit
