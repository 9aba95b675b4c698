// ParallelTempering (include/ebmkit/tempering.hpp): checks, state and counters; the
// sweeps are the backend's (host/ops/tempering.hpp).
#include "ebmkit/tempering.hpp"

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "check.hpp"
#include "ebmkit/philox.hpp"
#include "ops/ops.hpp"

namespace ebmkit {

namespace {

constexpr const char* op = "ParallelTempering";

void check_betas(const std::vector<float>& betas) {
    if (betas.size() < 2) {
        detail::fail(std::string(op) + ": at least 2 betas (replicas) are needed, got " + std::to_string(betas.size()));
    }
    for (std::size_t r = 0; r < betas.size(); ++r) {
        const bool rises = r == 0 || betas[r] > betas[r - 1];
        if (!(betas[r] > 0.0f && betas[r] <= 1.0f) || !rises) {
            detail::fail(std::string(op) + ": betas must rise within (0, 1], got betas[" + std::to_string(r) +
                         "] = " + std::to_string(betas[r]));
        }
    }
    if (betas.back() != 1.0f) detail::fail(std::string(op) + ": the last beta must be 1, got " + std::to_string(betas.back()));
}

// The counters live in an int32 tensor, two words each (the Tensor dtypes have no 64-bit integer).
std::uint64_t* counters(Tensor& t) { return reinterpret_cast<std::uint64_t*>(t.data<std::int32_t>()); }

}  // namespace

std::vector<float> geometric_betas(int replicas, float beta_min) {
    if (replicas < 2) detail::fail("geometric_betas: replicas must be >= 2, got " + std::to_string(replicas));
    if (!(beta_min > 0.0f && beta_min < 1.0f)) {
        detail::fail("geometric_betas: beta_min must be in (0, 1), got " + std::to_string(beta_min));
    }
    std::vector<float> betas(static_cast<std::size_t>(replicas));
    for (int r = 0; r < replicas; ++r) {
        betas[r] = static_cast<float>(std::pow(static_cast<double>(beta_min), static_cast<double>(replicas - 1 - r) / (replicas - 1)));
    }
    betas.back() = 1.0f;
    return betas;
}

ParallelTempering::ParallelTempering(Context& ctx, std::int64_t visible, std::int64_t hidden, std::int64_t chains,
                                     std::vector<float> betas)
    : ctx_(ctx), visible_(visible), hidden_(hidden), chains_(chains), betas_(std::move(betas)) {
    if (visible < 1 || hidden < 1 || chains < 1) {
        detail::fail(std::string(op) + ": visible, hidden and chains must be >= 1, got " + std::to_string(visible) +
                     ", " + std::to_string(hidden) + ", " + std::to_string(chains));
    }
    check_betas(betas_);
    const auto replicas = static_cast<std::int64_t>(betas_.size());
    if (replicas * chains > std::numeric_limits<std::uint32_t>::max()) {
        detail::fail(std::string(op) + ": replicas x chains must fit the 32-bit chain word of the draws");
    }
    const Device device = ctx.device();
    betas_on_device_ = Tensor::from(betas_, {replicas}).to(device);
    Tensor start({chains, visible});
    for (std::int64_t c = 0; c < chains; ++c) {
        for (std::int64_t i = 0; i < visible; ++i) {
            start.data<float>()[c * visible + i] =
                philox_uniform(ctx.seed(), RngPurpose::ChainInit, static_cast<std::uint32_t>(c), 0,
                               static_cast<std::uint32_t>(i)) <= 0.5f ? 1.0f : 0.0f;
        }
    }
    v_ = Tensor({replicas * chains, visible}, DType::F32, device);
    h_ = Tensor::zeros({replicas * chains, hidden}, DType::F32, device);
    accepted_ = Tensor::zeros({2 * (replicas - 1)}, DType::I32, device);
    attempted_.assign(static_cast<std::size_t>(replicas - 1), 0);
    const Tensor on_device = start.to(device);
    reset(on_device);
}

void ParallelTempering::reset(ConstTensorView start) {
    detail::check_tensor("ParallelTempering::reset", "start", start, {chains_, visible_}, DType::F32, ctx_.device());
    for (std::size_t r = 0; r < betas_.size(); ++r) {
        const auto rows = static_cast<std::int64_t>(r) * chains_;
        copy(start, TensorView(v_.data<float>() + rows * visible_, {chains_, visible_}, DType::F32, v_.device()));
    }
}

void ParallelTempering::run(const Rbm& rbm, std::uint32_t sweeps) {
    constexpr const char* run_op = "ParallelTempering::run";
    detail::check_model(run_op, ctx_, rbm);
    if (rbm.visible() != visible_ || rbm.hidden() != hidden_) {
        detail::fail(std::string(run_op) + ": the rbm is " + std::to_string(rbm.visible()) + "x" +
                     std::to_string(rbm.hidden()) + ", the chains are for " + std::to_string(visible_) + "x" +
                     std::to_string(hidden_));
    }
    const int replicas = static_cast<int>(betas_.size());
    detail::ops(ctx_).tempering.sweeps(ctx_, rbm, betas_.data(), betas_on_device_.data<float>(), replicas, chains_,
                                       v_.data<float>(), h_.data<float>(), Steps{sweeps_, sweeps}, counters(accepted_));
    for (std::uint32_t s = 0; s < sweeps; ++s) {
        const int parity = static_cast<int>((sweeps_ + s) % 2);
        for (int r = parity; r + 1 < replicas; r += 2) attempted_[r] += chains_;
    }
    sweeps_ += sweeps;
}

ConstTensorView ParallelTempering::samples() const {
    const std::int64_t first = static_cast<std::int64_t>(betas_.size() - 1) * chains_;
    return {v_.data<float>() + first * visible_, {chains_, visible_}, DType::F32, v_.device()};
}

ConstTensorView ParallelTempering::hidden_samples() const {
    const std::int64_t first = static_cast<std::int64_t>(betas_.size() - 1) * chains_;
    return {h_.data<float>() + first * hidden_, {chains_, hidden_}, DType::F32, h_.device()};
}

std::vector<std::int64_t> ParallelTempering::swaps_accepted() const {
    const std::vector<std::int32_t> words = accepted_.to_vector<std::int32_t>();
    std::vector<std::int64_t> out(attempted_.size());
    for (std::size_t r = 0; r < out.size(); ++r) {
        std::uint64_t count = 0;
        std::memcpy(&count, words.data() + 2 * r, sizeof count);
        out[r] = static_cast<std::int64_t>(count);
    }
    return out;
}

std::vector<double> ParallelTempering::swap_rates() const {
    const std::vector<std::int64_t> accepted = swaps_accepted();
    std::vector<double> rates(accepted.size());
    for (std::size_t r = 0; r < rates.size(); ++r) {
        rates[r] = attempted_[r] > 0 ? static_cast<double>(accepted[r]) / static_cast<double>(attempted_[r])
                                     : std::numeric_limits<double>::quiet_NaN();
    }
    return rates;
}

void ParallelTempering::restore(ConstTensorView states, ConstTensorView hidden_states, std::uint32_t sweeps,
                                const std::vector<std::int64_t>& accepted, const std::vector<std::int64_t>& attempted) {
    constexpr const char* restore_op = "ParallelTempering::restore";
    const auto rows = static_cast<std::int64_t>(betas_.size()) * chains_;
    detail::check_tensor(restore_op, "states", states, {rows, visible_}, DType::F32, ctx_.device());
    detail::check_tensor(restore_op, "hidden_states", hidden_states, {rows, hidden_}, DType::F32, ctx_.device());
    if (accepted.size() != attempted_.size() || attempted.size() != attempted_.size()) {
        detail::fail(std::string(restore_op) + ": " + std::to_string(attempted_.size()) +
                     " swap counters per kind are needed");
    }
    Tensor words({2 * static_cast<std::int64_t>(accepted.size())}, DType::I32);
    for (std::size_t r = 0; r < accepted.size(); ++r) {
        const auto count = static_cast<std::uint64_t>(accepted[r]);
        std::memcpy(words.data<std::int32_t>() + 2 * r, &count, sizeof count);
    }
    copy(states, v_);
    copy(hidden_states, h_);
    copy(words, accepted_);
    attempted_ = attempted;
    sweeps_ = sweeps;
}

}  // namespace ebmkit
