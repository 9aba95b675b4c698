// What the data-parallel trainers share (include/ebmkit/communicator.hpp): the checks
// of a global size split among the ranks, and the rank-major stacking of every rank's
// shard of a state (replay buffer, persistent chains) for rank 0's checkpoint.
#pragma once

#include <cstdint>
#include <functional>

#include "ebmkit/communicator.hpp"
#include "ebmkit/tensor.hpp"

namespace ebmkit::detail {

// Error unless value is a multiple of the communicator's rank count; the message names
// what is split: "op: name N must be a multiple of the R ranks (each rank takes N / R)".
void check_split(const char* op, const char* name, std::int64_t value, const Communicator& comm);

// Every rank's shard [rows, cols] (float32) stacked rank by rank: [size * rows, cols] on
// shard's device, the same on every rank (a collective: every rank calls it with the same shape).
// One rank: a copy of shard.
Tensor stack_shards(const Communicator& comm, ConstTensorView shard);

// Whether flag is true on any rank (a collective on the host; one rank: flag). The
// trainers agree so on a stop request, which a signal delivers to each rank on its own.
bool on_any_rank(const Communicator& comm, bool flag);

// write() on rank 0, then a collective verdict: when it threw, every rank throws its
// message (no rank is left waiting for rank 0). One rank: write().
void write_on_rank_zero(const Communicator& comm, const std::function<void()>& write);

// Rows rank * rows .. (rank + 1) * rows - 1 of whole [size * rows, cols], the inverse of
// stack_shards (a view of whole).
ConstTensorView shard_rows(ConstTensorView whole, const Communicator& comm);

}  // namespace ebmkit::detail
