// Timing for the benchmark runner: host wall clock for the CPU path, CUDA events
// on the context's stream for the GPU path. Both report median / min / max of reps.
#pragma once

#include <functional>

#include "ebmkit/context.hpp"

namespace ebmkit::bench {

struct Stats {
    double median_ms, min_ms, max_ms;
};

// fn(i) runs repetition i (callers rotate inputs with it). warmup runs come first.
Stats time_runs(Context& ctx, const std::function<void(int)>& fn, int warmup, int reps);

// Measured device-to-device copy bandwidth in bytes/s (read + write counted), the
// practical HBM ceiling for bandwidth-bound kernels; 0 on a Cpu context.
double measured_copy_bandwidth(Context& ctx);

// Measured matrix-product rate in flop/s: a cuBLAS 4096^3 product in FP32 SIMT, with
// TF32 tensor cores on float32 operands, or on BF16 operands with FP32 accumulation;
// the practical ceiling for compute-bound kernels of that precision. 0 on a Cpu context.
double measured_gemm_rate(Context& ctx, Precision precision);

}  // namespace ebmkit::bench
