// Short-run MCMC sampling as JEM and its descendants use it: chains started from a
// replay buffer (or noise, data, or the previous call's chains), advanced by
// langevin_chain, written back.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "ebmkit/context.hpp"
#include "ebmkit/langevin.hpp"
#include "ebmkit/mlp.hpp"
#include "ebmkit/tensor.hpp"

namespace ebmkit {

// A store of past samples (host memory). Draws are keyed by (seed, round):
// slot b of round t is uniform over the buffer (purpose ReplaySlot), replaced with
// probability reinit by fresh U(lo, hi)^D noise (ReplayReinit, ChainInit).
// A class-conditional buffer (classes > 1, as JEM's class_cond_p_x_sample) is split
// into `classes` segments of size / classes slots; row b then draws from, and
// returns to, the segment of its class.
class ReplayBuffer {
public:
    // Filled with U(lo, hi) noise keyed (seed, ChainInit, chain = slot, step 0).
    // classes must divide size.
    ReplayBuffer(std::int64_t size, std::int64_t dim, float lo, float hi, std::uint64_t seed, std::int64_t classes = 1);
    // batch rows [batch, dim] (host); slots[b] is the buffer slot of row b, or -1 for
    // fresh noise. row_classes ([batch], each in [0, classes)) is needed when classes > 1.
    Tensor draw(std::int64_t batch, float reinit, std::uint32_t round, std::vector<std::int64_t>& slots,
                const std::vector<std::int32_t>& row_classes = {}) const;
    // Writes row b of samples (host or device) to slots[b] (rows with slot -1 go to a
    // random slot of the same round and class, as JEM pushes every sample back).
    void store(const std::vector<std::int64_t>& slots, ConstTensorView samples, std::uint32_t round,
               const std::vector<std::int32_t>& row_classes = {});
    const Tensor& samples() const { return buffer_; }
    std::int64_t size() const { return buffer_.dim(0); }
    std::int64_t classes() const { return classes_; }
    void assign(ConstTensorView samples);  // same shape

private:
    void check_classes(const char* op, std::int64_t batch, const std::vector<std::int32_t>& row_classes) const;
    std::int64_t slot_of(std::uint32_t round, std::int64_t b, std::int32_t row_class) const;
    Tensor buffer_;
    float lo_, hi_;
    std::uint64_t seed_;
    std::int64_t classes_;
};

enum class ChainStart { Uniform, Normal, Data, ReplayBuffer, Persistent };

struct SamplerOptions {
    LangevinParams step = jem_step();  // JEM: alpha 1, sigma 0.01, clamp to [-1, 1]
    std::uint32_t steps = 20;
    ChainStart start = ChainStart::ReplayBuffer;
    std::int64_t buffer_size = 10000;
    float reinit = 0.05f;  // replay buffer: fraction of each batch restarted from U(lo, hi) noise
    std::int64_t classes = 1;  // > 1: a class-conditional replay buffer; sample() then needs labels
    bool trace = false;    // record per-step mean energy and acceptance

    static LangevinParams jem_step() {
        LangevinParams p;
        p.clamp = true;
        return p;
    }
};

class LangevinSampler {
public:
    // Uniform and replay starts draw from the clamp box [step.lo, step.hi] (so clamping
    // must be on for them); Normal starts from N(0, I).
    LangevinSampler(Context& ctx, std::int64_t dim, const SamplerOptions& options);
    // batch samples [batch, dim] on ctx.device() from exp(-E) of model, or, with labels
    // ([batch] int32), from exp(-E(x, labels[r])). data ([batch, dim] on ctx.device()) is
    // needed by ChainStart::Data and ignored otherwise. Each call is one round: its
    // steps are keyed round * steps + s, its chains 0 .. batch - 1. With a
    // class-conditional buffer, row r starts in, and returns to, the segment of labels[r].
    Tensor sample(const MlpEnergy& model, std::int64_t batch, ConstTensorView data = {}, ConstTensorView labels = {});
    const LangevinStats& last_stats() const { return stats_; }
    const ReplayBuffer* buffer() const { return buffer_ ? &*buffer_ : nullptr; }
    std::uint32_t rounds() const { return round_; }
    // Resumes from a checkpoint: the replay buffer's contents (when it has one) and the round.
    void restore(ConstTensorView buffer_samples, std::uint32_t rounds);

private:
    Tensor start(std::int64_t batch, ConstTensorView data, std::vector<std::int64_t>& slots,
                 const std::vector<std::int32_t>& row_classes);
    Context& ctx_;
    std::int64_t dim_;
    SamplerOptions options_;
    std::optional<ReplayBuffer> buffer_;
    Tensor chains_;                     // Persistent
    std::uint32_t round_ = 0;
    LangevinStats stats_;
};

}  // namespace ebmkit
