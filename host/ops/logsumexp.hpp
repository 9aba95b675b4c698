// The LogSumExp family's operations (host/ops/ops.hpp): docs/ARCHITECTURE.md §1.
#pragma once

#include <cstdint>

#include "ebmkit/context.hpp"

namespace ebmkit::detail {

class LogsumexpOps {
public:
    virtual ~LogsumexpOps() = default;
    // out [rows] = LSE of each row of x [rows, cols].
    virtual void forward(Context& ctx, const float* x, std::int64_t rows, std::int64_t cols, float* out) const = 0;
    // dx [rows, cols] = dlse * softmax of each row (lse the forward's result).
    virtual void backward(Context& ctx, const float* x, const float* lse, const float* dlse, float* dx,
                          std::int64_t rows, std::int64_t cols) const = 0;
};

}  // namespace ebmkit::detail
