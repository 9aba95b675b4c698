// The MPI / NCCL side of ebmkit::Communicator, behind a plain interface so that
// host/communicator.cpp builds without MPI's headers.
#pragma once

#include <memory>
#include <vector>

#include "ebmkit/communicator.hpp"

#ifndef EBMKIT_WITH_MPI
#define EBMKIT_WITH_MPI 0
#endif
#ifndef EBMKIT_WITH_NCCL
#define EBMKIT_WITH_NCCL 0
#endif

namespace ebmkit::detail {

std::shared_ptr<Communicator::Backend> world_backend(Context& ctx);
int rank(const Communicator::Backend& b);
int size(const Communicator::Backend& b);
Device device(const Communicator::Backend& b);
void allreduce_sum(const Communicator::Backend& b, const std::vector<TensorView>& tensors);
void agree_count(Communicator::Backend& b, long long count);
void barrier(const Communicator::Backend& b);
[[noreturn]] void abort(const Communicator::Backend& b, int status);

}  // namespace ebmkit::detail
