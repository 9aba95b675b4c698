// logsumexp, logsumexp_backward: bandwidth-bound, against the measured device copy
// bandwidth, over --shape ROWSxCOLS.
#include <algorithm>
#include <cmath>

#include "bench/workloads.hpp"

namespace ebmkit::bench {

namespace {

// Enough copies of the input that consecutive runs read from beyond the 50 MB L2.
int rotations(Context& ctx, double bytes) {
    if (ctx.backend() != Backend::Cuda) return 1;
    return static_cast<int>(std::min(1024.0, std::ceil(256e6 / bytes)));
}

Record run_logsumexp(Setting& s, std::int64_t rows, std::int64_t cols, bool backward) {
    Context& ctx = s.ctx;
    const double in_bytes = 4.0 * rows * cols;
    const int copies = rotations(ctx, in_bytes);
    std::vector<Tensor> xs;
    for (int i = 0; i < copies; ++i) {
        Tensor h({rows, cols});
        float* p = h.data<float>();
        for (std::int64_t k = 0; k < rows * cols; ++k) p[k] = static_cast<float>((k * 2654435761u) % 2000) * 0.01f - 10;
        xs.push_back(h.to(ctx.device()));
    }
    Tensor lse({rows}, DType::F32, ctx.device()), dlse = Tensor::zeros({rows}, DType::F32, ctx.device());
    Tensor dx = backward ? Tensor({rows, cols}, DType::F32, ctx.device()) : Tensor();
    logsumexp(ctx, xs[0], lse);
    const Stats t = time_runs(
        ctx,
        [&](int i) {
            const Tensor& x = xs[i % copies];
            if (backward) logsumexp_backward(ctx, x, lse, dlse, dx);
            else logsumexp(ctx, x, lse);
        },
        3, s.options.reps);
    // Forward reads x and writes a float per row; backward reads x, writes dx.
    const double bytes = backward ? 2 * in_bytes + 8.0 * rows : in_bytes + 4.0 * rows;
    return {backward ? "logsumexp_backward" : "logsumexp", std::to_string(rows) + "x" + std::to_string(cols), s.variant,
            device_name(ctx), t, bytes, static_cast<double>(rows), "rows", s.bandwidth};
}

}  // namespace

void logsumexp_workloads(std::vector<Workload>& out) {
    for (bool backward : {false, true}) {
        out.push_back({backward ? "logsumexp_backward" : "logsumexp", false, false,
                       [backward](Setting& s, const std::function<void(Record)>& emit) {
                           for (auto [rows, cols] : s.options.shapes) emit(run_logsumexp(s, rows, cols, backward));
                       }});
    }
}

}  // namespace ebmkit::bench
