#include "ebmkit/sampler.hpp"

#include <algorithm>
#include <string>

#include "check.hpp"
#include "ebmkit/philox.hpp"

namespace ebmkit {

namespace {

// U(lo, hi) noise for rows, keyed (seed, ChainInit, chain = first_chain + r, step).
void fill_uniform(float* out, std::int64_t rows, std::int64_t dim, float lo, float hi, std::uint64_t seed,
                  std::uint32_t first_chain, std::uint32_t step) {
    const PhiloxKey key = philox_key(seed);
    for (std::int64_t r = 0; r < rows; ++r) {
        for (std::int64_t i0 = 0; i0 < dim; i0 += 4) {
            float u[4];
            uniform4(philox4x32_10(philox_counter(RngPurpose::ChainInit, first_chain + static_cast<std::uint32_t>(r),
                                                  step, static_cast<std::uint32_t>(i0 / 4)),
                                   key),
                     u);
            for (std::int64_t i = i0; i < std::min(i0 + 4, dim); ++i) out[r * dim + i] = lo + (hi - lo) * u[i - i0];
        }
    }
}

}  // namespace

ReplayBuffer::ReplayBuffer(std::int64_t size, std::int64_t dim, float lo, float hi, std::uint64_t seed,
                           std::int64_t classes)
    : lo_(lo), hi_(hi), seed_(seed), classes_(classes) {
    constexpr const char* op = "ReplayBuffer";
    if (size < 1 || dim < 1) {
        detail::fail(std::string(op) + ": size and dim must be >= 1, got " + std::to_string(size) + " and " +
                     std::to_string(dim));
    }
    if (classes < 1 || size % classes != 0) {
        detail::fail(std::string(op) + ": classes must be >= 1 and divide size " + std::to_string(size) + ", got " +
                     std::to_string(classes));
    }
    detail::check_finite(op, "lo", lo);
    detail::check_finite(op, "hi", hi);
    if (!(lo < hi)) detail::fail(std::string(op) + ": lo must be < hi");
    buffer_ = Tensor({size, dim});
    fill_uniform(buffer_.data<float>(), size, dim, lo, hi, seed, 0, 0);
}

// A uniform slot of the row's segment (the whole buffer when unconditional).
std::int64_t ReplayBuffer::slot_of(std::uint32_t round, std::int64_t b, std::int32_t row_class) const {
    const std::int64_t segment = size() / classes_;
    const float u = philox_uniform(seed_, RngPurpose::ReplaySlot, round, 0, static_cast<std::uint32_t>(b));
    return row_class * segment +
           std::min<std::int64_t>(segment - 1, static_cast<std::int64_t>(u * static_cast<float>(segment)));
}

void ReplayBuffer::check_classes(const char* op, std::int64_t batch,
                                 const std::vector<std::int32_t>& row_classes) const {
    if (classes_ == 1 && row_classes.empty()) return;
    if (static_cast<std::int64_t>(row_classes.size()) != batch) {
        detail::fail(std::string(op) + ": a buffer of " + std::to_string(classes_) + " classes needs one class per " +
                     "row (" + std::to_string(batch) + "), got " + std::to_string(row_classes.size()));
    }
    for (std::size_t b = 0; b < row_classes.size(); ++b) {
        if (row_classes[b] < 0 || row_classes[b] >= classes_) {
            detail::fail(std::string(op) + ": row_classes[" + std::to_string(b) + "] = " +
                         std::to_string(row_classes[b]) + " is outside [0, " + std::to_string(classes_) + ")");
        }
    }
}

Tensor ReplayBuffer::draw(std::int64_t batch, float reinit, std::uint32_t round, std::vector<std::int64_t>& slots,
                          const std::vector<std::int32_t>& row_classes) const {
    constexpr const char* op = "ReplayBuffer::draw";
    if (batch < 1) detail::fail(std::string(op) + ": batch must be >= 1, got " + std::to_string(batch));
    if (!(reinit >= 0.0f && reinit <= 1.0f)) detail::fail(std::string(op) + ": reinit must be in [0, 1]");
    check_classes(op, batch, row_classes);
    const std::int64_t dim = buffer_.dim(1);
    Tensor out({batch, dim});
    slots.assign(static_cast<std::size_t>(batch), -1);
    for (std::int64_t b = 0; b < batch; ++b) {
        const bool fresh =
            philox_uniform(seed_, RngPurpose::ReplayReinit, round, 0, static_cast<std::uint32_t>(b)) <= reinit;
        if (fresh) {
            fill_uniform(out.data<float>() + b * dim, 1, dim, lo_, hi_, seed_, static_cast<std::uint32_t>(b), round + 1);
        } else {
            slots[b] = slot_of(round, b, row_classes.empty() ? 0 : row_classes[b]);
            std::copy_n(buffer_.data<float>() + slots[b] * dim, dim, out.data<float>() + b * dim);
        }
    }
    return out;
}

void ReplayBuffer::store(const std::vector<std::int64_t>& slots, ConstTensorView samples, std::uint32_t round,
                         const std::vector<std::int32_t>& row_classes) {
    constexpr const char* op = "ReplayBuffer::store";
    const std::int64_t dim = buffer_.dim(1);
    check_classes(op, static_cast<std::int64_t>(slots.size()), row_classes);
    detail::check_tensor(op, "samples", samples, {static_cast<std::int64_t>(slots.size()), dim}, DType::F32,
                         samples.device());
    Tensor host({samples.dim(0), dim});
    copy(samples, host);
    for (std::size_t b = 0; b < slots.size(); ++b) {
        const std::int64_t slot =
            slots[b] >= 0 ? slots[b] : slot_of(round, static_cast<std::int64_t>(b), row_classes.empty() ? 0 : row_classes[b]);
        std::copy_n(host.data<float>() + b * dim, dim, buffer_.data<float>() + slot * dim);
    }
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
        buffer_.emplace(options.buffer_size, dim, options.step.lo, options.step.hi, ctx.seed(), options.classes);
    }
}

Tensor LangevinSampler::start(std::int64_t batch, ConstTensorView data, std::vector<std::int64_t>& slots,
                              const std::vector<std::int32_t>& row_classes) {
    constexpr const char* op = "LangevinSampler::sample";
    Tensor x({batch, dim_});
    switch (options_.start) {
        case ChainStart::Uniform:
            fill_uniform(x.data<float>(), batch, dim_, options_.step.lo, options_.step.hi, ctx_.seed(), 0, round_ + 1);
            break;
        case ChainStart::Normal:
            for (std::int64_t r = 0; r < batch; ++r) {
                for (std::int64_t i = 0; i < dim_; ++i) {
                    x.data<float>()[r * dim_ + i] = philox_normal(ctx_.seed(), RngPurpose::ChainInit,
                                                                  static_cast<std::uint32_t>(r), round_ + 1,
                                                                  static_cast<std::uint32_t>(i));
                }
            }
            break;
        case ChainStart::Data:
            detail::check_tensor(op, "data", data, {batch, dim_}, DType::F32, ctx_.device());
            copy(data, x);
            break;
        case ChainStart::ReplayBuffer:
            x = buffer_->draw(batch, options_.reinit, round_, slots, row_classes);
            break;
        case ChainStart::Persistent:
            if (chains_.empty()) {
                fill_uniform(x.data<float>(), batch, dim_, options_.step.lo, options_.step.hi, ctx_.seed(), 0, 0);
                return x.to(ctx_.device());
            }
            if (chains_.dim(0) != batch) {
                detail::fail(std::string(op) + ": persistent chains hold " + std::to_string(chains_.dim(0)) +
                             " rows; batch must stay " + std::to_string(chains_.dim(0)) + ", got " +
                             std::to_string(batch));
            }
            return std::move(chains_);
    }
    return x.to(ctx_.device());
}

Tensor LangevinSampler::sample(const MlpEnergy& model, std::int64_t batch, ConstTensorView data, ConstTensorView labels) {
    constexpr const char* op = "LangevinSampler::sample";
    detail::check_model(op, ctx_, model);
    if (model.input_dim() != dim_) {
        detail::fail(std::string(op) + ": the model's input dimension " + std::to_string(model.input_dim()) +
                     " differs from the sampler's " + std::to_string(dim_));
    }
    if (batch < 1) detail::fail(std::string(op) + ": batch must be >= 1, got " + std::to_string(batch));
    std::vector<std::int32_t> row_classes;
    if (buffer_ && buffer_->classes() > 1) {
        if (!labels.raw()) {
            detail::fail(std::string(op) + ": a class-conditional replay buffer needs labels");
        }
        detail::check_tensor(op, "labels", labels, {batch}, DType::I32, ctx_.device());
        Tensor host({batch}, DType::I32);
        copy(labels, host);
        row_classes = host.to_vector<std::int32_t>();
    }
    std::vector<std::int64_t> slots;
    Tensor x = start(batch, data, slots, row_classes);
    stats_ = langevin_chain(ctx_, model, x, labels, options_.step, round_ * options_.steps, options_.steps, options_.trace);
    if (options_.start == ChainStart::ReplayBuffer) buffer_->store(slots, x, round_, row_classes);
    if (options_.start == ChainStart::Persistent) chains_ = x.clone();
    ++round_;
    return x;
}

}  // namespace ebmkit
