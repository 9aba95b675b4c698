#include "data_parallel.hpp"

#include <string>

#include "check.hpp"
#include "ebmkit/error.hpp"

namespace ebmkit::detail {

void check_split(const char* op, const char* name, std::int64_t value, const Communicator& comm) {
    const int ranks = comm.size();
    if (value % ranks != 0) {
        fail(std::string(op) + ": " + name + " " + std::to_string(value) + " must be a multiple of the " +
             std::to_string(ranks) + " ranks (each rank takes " + name + " / " + std::to_string(ranks) + ")");
    }
}

// Each rank writes its shard into its rows of a zero tensor; the sum over the ranks is
// then the stack (x + 0 = x exactly: the values arrive unchanged, a -0 as +0).
Tensor stack_shards(const Communicator& comm, ConstTensorView shard) {
    if (comm.size() == 1) return Tensor::copy_of(shard, shard.device());
    const std::int64_t rows = shard.dim(0), cols = shard.dim(1);
    Tensor whole = Tensor::zeros({rows * comm.size(), cols}, DType::F32, shard.device());
    const TensorView mine(whole.data<float>() + comm.rank() * rows * cols, shard.shape(), DType::F32, shard.device());
    copy(shard, mine);
    comm.allreduce_sum({whole});
    return whole;
}

bool on_any_rank(const Communicator& comm, bool flag) {
    if (comm.size() == 1) return flag;
    Tensor t = Tensor::from({flag ? 1.0f : 0.0f}, {1});
    comm.allreduce_sum({t});
    return t.data<float>()[0] > 0.0f;
}

void write_on_rank_zero(const Communicator& comm, const std::function<void()>& write) {
    if (comm.size() == 1) return write();
    std::string failure;
    if (comm.rank() == 0) {
        try {
            write();
        } catch (const Error& e) {
            failure = e.what();
        }
    }
    if (on_any_rank(comm, !failure.empty())) {
        throw Error(failure.empty() ? std::string("rank 0 could not write the checkpoint (its message is on rank 0)")
                                    : failure);
    }
}

ConstTensorView shard_rows(ConstTensorView whole, const Communicator& comm) {
    const std::int64_t rows = whole.dim(0) / comm.size(), cols = whole.dim(1);
    return {whole.data<float>() + comm.rank() * rows * cols, {rows, cols}, DType::F32, whole.device()};
}

}  // namespace ebmkit::detail
