/// @file
/// Short-run MCMC sampling as JEM and its descendants use it: chains started from a
/// replay buffer (or noise, data, or the previous call's chains), advanced by
/// langevin_chain, written back.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "ebmkit/context.hpp"
#include "ebmkit/detail/step_key.hpp"
#include "ebmkit/langevin.hpp"
#include "ebmkit/mlp.hpp"
#include "ebmkit/tensor.hpp"

namespace ebmkit {

/// A store of past samples, in the memory of the context it was made on (device memory
/// on a CUDA context, where draws and stores are kernels: no host copies). Draws are
/// keyed by (seed, round) as kernels/sampler_rule.hpp states: slot b of round t is
/// uniform over the buffer (purpose ReplaySlot), replaced with probability reinit by
/// fresh U(lo, hi)^D noise (ReplayReinit, ChainInit). A class-conditional buffer
/// (classes > 1, as JEM's class_cond_p_x_sample) is split into `classes` segments of
/// size / classes slots; row b then draws from, and returns to, the segment of its class.
class ReplayBuffer {
public:
    /// Filled with U(lo, hi) noise keyed (ctx.seed(), ChainInit, chain = first_slot + slot,
    /// step 0): first_slot places a data-parallel rank's buffer within the global one
    /// (SamplerOptions::shard). classes must divide size.
    ReplayBuffer(Context& ctx, std::int64_t size, std::int64_t dim, float lo, float hi, std::int64_t classes = 1,
                 std::uint32_t first_slot = 0);
    /// batch rows [batch, dim]; slots receives [batch] int32, each row's buffer slot or
    /// -1 for fresh noise. row_classes ([batch] int32, each in [0, classes)) is needed
    /// when classes > 1. Tensors live on the buffer's device; the public calls check
    /// row_classes' and slots' values on the host (LangevinSampler's own draws do not).
    Tensor draw(std::int64_t batch, float reinit, std::uint32_t round, Tensor& slots,
                ConstTensorView row_classes = {}) const;
    /// Writes row b of samples to slots[b] (a row with slot -1 goes to a random slot of
    /// the same round and class, as JEM pushes every sample back; of two rows bound for
    /// one slot the later one stays).
    void store(ConstTensorView slots, ConstTensorView samples, std::uint32_t round, ConstTensorView row_classes = {});
    /// @{
    /// The buffer's contents [size, dim], its number of slots, and its classes (1: one
    /// segment for all).
    const Tensor& samples() const { return buffer_; }
    std::int64_t size() const { return buffer_.dim(0); }
    std::int64_t classes() const { return classes_; }
    /// @}
    void assign(ConstTensorView samples);  ///< same shape

private:
    friend class LangevinSampler;
    void check_classes(const char* op, std::int64_t batch, ConstTensorView row_classes) const;
    /// first_row: the global index of the batch's row 0 (kernels/sampler_rule.hpp); the
    /// store does nothing when skip (nullable, on the buffer's device) is nonzero.
    void draw_rows(std::int64_t batch, float reinit, detail::StepKey round, const std::int32_t* row_classes,
                   float* out, std::int32_t* slots, std::uint32_t first_row = 0) const;
    void store_rows(std::int64_t batch, detail::StepKey round, const std::int32_t* slots,
                    const std::int32_t* row_classes, const float* samples, std::uint32_t first_row = 0,
                    const std::int32_t* skip = nullptr);
    Context* ctx_;
    std::int64_t classes_;
    float lo_, hi_;
    std::uint64_t seed_;
    Tensor buffer_;
    Tensor store_scratch_;  ///< the store's: the last row bound for each slot, then each row's target
};

/// Where a LangevinSampler's chains start each round: uniform noise in the clamp box,
/// N(0, I), the data given, a replay buffer (with a fraction restarted from noise), or
/// where the previous round's chains ended.
enum class ChainStart { Uniform, Normal, Data, ReplayBuffer, Persistent };

/// A LangevinSampler's settings; the defaults are JEM's.
struct SamplerOptions {
    LangevinParams step = jem_step();  ///< JEM: alpha 1, sigma 0.01, clamp to [-1, 1]
    std::uint32_t steps = 20;                     ///< Langevin steps per round
    ChainStart start = ChainStart::ReplayBuffer;  ///< where the chains start
    std::int64_t buffer_size = 10000;             ///< replay buffer slots (ReplayBuffer starts)
    float reinit = 0.05f;  ///< replay buffer: fraction of each batch restarted from U(lo, hi) noise
    /// > 1: class-conditional chains (and replay buffer): unless sample() is given labels,
    /// each row's class is drawn uniformly from [0, classes) (SampleLabel, chain = row,
    /// step = round), on the device; the model needs at least this many outputs.
    std::int64_t classes = 1;
    bool trace = false;    ///< record per-step mean energy and acceptance
    /// Data parallelism (JemTrainer with a Communicator): this sampler is part `shard` of
    /// `shards` equal ones, one per rank, each drawing batch rows of a global batch of
    /// shards * batch. Its row r is global row shard * batch + r in every row-keyed draw
    /// (starts, replay slots and restarts, classes, Langevin noise: step.first_chain is
    /// added), and its replay buffer is slots shard * S .. (shard + 1) * S - 1 of a global
    /// buffer of buffer_size, S = buffer_size / shards (each rank keeps its own part).
    std::int64_t shard = 0;
    std::int64_t shards = 1;  ///< the number of equal parts (ranks); see shard

    /// JEM's SGLD step: LangevinParams' defaults (alpha 1, sigma 0.01) with the clamp on.
    static LangevinParams jem_step() {
        LangevinParams p;
        p.clamp = true;
        return p;
    }
};

/// One round of sampling: the chains after their steps, not yet written back.
struct SampleRound {
    Tensor samples;  ///< [batch, dim] on the sampler's device
    Tensor slots;    ///< replay starts: [batch] int32, each row's buffer slot or -1 (fresh)
    Tensor labels;   ///< class-conditional: [batch] int32, the class each chain sampled
    std::uint32_t number = 0;  ///< the round's number (its key)
};

/// Rounds of Langevin chains on an MLP energy, started as SamplerOptions::start says,
/// with the replay buffer or persistent chains kept in the context's memory: JEM's
/// sampler, usable on its own.
class LangevinSampler {
public:
    /// Uniform and replay starts draw from the clamp box [step.lo, step.hi] (so clamping
    /// must be on for them); Normal starts from N(0, I). On a CUDA context the starts
    /// (but Normal's, drawn on the host), the chains and the replay buffer stay on the device.
    LangevinSampler(Context& ctx, std::int64_t dim, const SamplerOptions& options);
    /// batch samples [batch, dim] on ctx.device() from exp(-E) of model, or, with labels
    /// ([batch] int32, checked on the host) or a class-conditional sampler, from
    /// exp(-E(x, labels[r])). data ([batch, dim] on ctx.device()) is needed by
    /// ChainStart::Data and ignored otherwise. Each call is one round: its steps are
    /// keyed round * steps + s, its chains 0 .. batch - 1. With a class-conditional
    /// buffer, row r starts in, and returns to, the segment of labels[r].
    /// sample() is draw_round() then keep_round().
    Tensor sample(const MlpEnergy& model, std::int64_t batch, ConstTensorView data = {}, ConstTensorView labels = {});
    /// @{
    /// The two halves of sample(), for a trainer that keeps a round only once its own
    /// checks pass: draw_round runs the chains and changes nothing of the sampler but its
    /// spare storage; keep_round writes them back (replay buffer, persistent chains),
    /// counts the round and takes its tensors back as the storage of the next draw (round
    /// is left empty), so that a training loop of one batch size allocates nothing after
    /// its first round. A round is kept at most once.
    SampleRound draw_round(const MlpEnergy& model, std::int64_t batch, ConstTensorView data = {},
                           ConstTensorView labels = {});
    void keep_round(SampleRound& round);
    /// @}
    /// The last round's statistics (with SamplerOptions::trace, per step).
    const LangevinStats& last_stats() const { return stats_; }
    /// The replay buffer, or null when the chains do not start from one.
    const ReplayBuffer* buffer() const { return buffer_ ? &*buffer_ : nullptr; }
    /// Rounds kept so far.
    std::uint32_t rounds() const { return round_; }
    /// Resumes from a checkpoint: the replay buffer's contents (when it has one) and the round.
    void restore(ConstTensorView buffer_samples, std::uint32_t rounds);

private:
    /// JemTrainer's replayed iterations (host/jem.cpp): with counters set ({rounds kept,
    /// their chain steps}, words on ctx's device), every round's keys are read from them;
    /// keep_counted_round queues the write-back and the counters' advance unless *skip,
    /// and the trainer counts the round on the host (count_round) once it knows.
    friend class JemTrainer;
    void use_counters(std::uint32_t* counters) { counters_ = counters; }
    void keep_counted_round(SampleRound& round, const std::int32_t* skip);
    void count_round() { ++round_; }
    detail::StepKey round_key(std::uint32_t plus) const {
        return counters_ ? detail::StepKey{plus, counters_} : detail::StepKey{round_ + plus, nullptr};
    }
    void start(std::int64_t batch, ConstTensorView data, SampleRound& round);
    std::uint32_t first_row(std::int64_t batch) const;  ///< the global index of this shard's row 0
    Context& ctx_;
    std::int64_t dim_;
    SamplerOptions options_;
    std::optional<ReplayBuffer> buffer_;
    Tensor chains_;                     ///< Persistent
    SampleRound spare_;                 ///< the last kept round's tensors, the next draw's storage
    Tensor chain_scratch_;              ///< the chains' device buffers (LangevinOps::chain)
    std::uint32_t round_ = 0;
    std::uint32_t* counters_ = nullptr;
    LangevinStats stats_;
};

}  // namespace ebmkit
