// sampler: one replay round's starts and write-back without the chain (a 10,000-slot
// buffer of 784-pixel rows, batch 64 and 4096, 5% fresh): ReplayBuffer::draw then
// store, bandwidth-bound, its bytes (rows read and written twice) against the copy
// bandwidth.
#include "bench/workloads.hpp"

namespace ebmkit::bench {

namespace {

Record run_sampler(Setting& s, std::int64_t batch) {
    Context& ctx = s.ctx;
    const std::int64_t dim = 784;
    ReplayBuffer buffer(ctx, 10000, dim, -1.0f, 1.0f);
    Tensor slots;
    std::uint32_t round = 0;
    const Stats t = time_runs(
        ctx,
        [&](int) {
            const Tensor rows = buffer.draw(batch, 0.05f, round, slots);
            buffer.store(slots, rows, round);
            ++round;
        },
        2, s.options.reps);
    const double bytes = 4.0 * static_cast<double>(batch * dim) * 4;
    return {"sampler", "batch " + std::to_string(batch) + ", 10000 x 784 buffer", s.variant, device_name(ctx), t, bytes,
            static_cast<double>(batch), "rows", s.bandwidth};
}

}  // namespace

void sampler_workloads(std::vector<Workload>& out) {
    out.push_back({"sampler", false, false, [](Setting& s, const std::function<void(Record)>& emit) {
                       for (std::int64_t batch : {64, 4096}) emit(run_sampler(s, batch));
                   }});
}

}  // namespace ebmkit::bench
