// The sampler's kernel bodies (kernels/sampler.cuh) on host threads
// (tests/emulation/), over their launch shapes, against the CPU path
// (host/cpu/sampler.cpp) bit for bit: uniform rows, replay draws with fresh rows and
// class segments, stores where several rows of a round are bound for one slot (the
// later row must stay, whatever order the threads run in), and class draws.
#include "emulation/block_emulation.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "host/cpu/sampler.hpp"
#include "kernels/sampler.cuh"
#include "kernels/sampler.hpp"
#include "support.hpp"

namespace ebmkit {
namespace {

using kernels::ReplayShape;

void emulated_store(const ReplayShape& s, std::vector<float>& buffer, std::int64_t batch, std::uint32_t round,
                    const std::vector<std::int32_t>& slots, const std::int32_t* classes,
                    const std::vector<float>& samples) {
    std::vector<std::int32_t> targets(batch, -7);
    std::vector<int> winners(s.size, -1);
    emulation::run_grid(kernels::sampler_row_shape(batch), [&](unsigned char*) {
        kernels::sampler_body::replay_claim(s, batch, round, slots.data(), classes, targets.data(), winners.data());
    });
    emulation::run_grid(kernels::sampler_quad_shape(batch, s.dim), [&](unsigned char*) {
        kernels::sampler_body::replay_write(s, buffer.data(), batch, targets.data(), winners.data(), samples.data());
    });
}

TEST(EmulatedSampler, UniformRowsMatchTheCpuBitForBit) {
    for (std::int64_t dim : {1, 6, 784}) {
        const std::int64_t rows = 37;
        std::vector<float> device(rows * dim, 9.0f), host(rows * dim, 8.0f);
        emulation::run_grid(kernels::sampler_quad_shape(rows, dim), [&](unsigned char*) {
            kernels::sampler_body::uniform_rows(device.data(), rows, dim, -1.0f, 1.0f, 42, 3, 5);
        });
        cpu::uniform_rows(host.data(), rows, dim, -1.0f, 1.0f, 42, 3, 5);
        EXPECT_EQ(device, host) << "dim " << dim;
    }
}

TEST(EmulatedSampler, ReplayDrawsAndStoresMatchTheCpuBitForBit) {
    auto rng = test::fresh_rng();
    for (auto [classes, first_row] : {std::pair<std::int64_t, std::uint32_t>{1, 0}, {4, 0}, {4, 1200}}) {
        // A small buffer, so that many rows of a round share a slot; first_row 1200: a
        // data-parallel rank's rows.
        const ReplayShape s{40, 7, classes, -1.0f, 1.0f, 77, first_row};
        const std::int64_t batch = 300;
        std::vector<std::int32_t> row_classes(batch);
        for (auto& c : row_classes) c = static_cast<std::int32_t>(rng() % classes);
        const std::int32_t* c = classes > 1 ? row_classes.data() : nullptr;
        std::vector<float> buffer = test::uniform_values(rng, s.size * s.dim, -1, 1), host_buffer = buffer;
        for (std::uint32_t round : {0u, 1u, 2u}) {
            std::vector<float> out(batch * s.dim, 5.0f), host_out(batch * s.dim, 6.0f);
            std::vector<std::int32_t> slots(batch, -9), host_slots(batch, -8);
            emulation::run_grid(kernels::sampler_quad_shape(batch, s.dim), [&](unsigned char*) {
                kernels::sampler_body::replay_draw(s, buffer.data(), batch, 0.2f, round, c, out.data(), slots.data());
            });
            cpu::replay_draw(s, host_buffer.data(), batch, 0.2f, round, c, host_out.data(), host_slots.data());
            ASSERT_EQ(slots, host_slots) << "round " << round;
            ASSERT_EQ(out, host_out) << "round " << round;
            // Mark every row so the store's winners show.
            for (std::int64_t b = 0; b < batch; ++b) out[b * s.dim] = host_out[b * s.dim] = 100.0f + b;
            emulated_store(s, buffer, batch, round, slots, c, out);
            cpu::replay_store(s, host_buffer.data(), batch, round, host_slots.data(), c, host_out.data());
            ASSERT_EQ(buffer, host_buffer) << "classes " << classes << " round " << round;
        }
    }
}

TEST(EmulatedSampler, ClassDrawsMatchTheCpu) {
    const std::int64_t rows = 1000;
    std::vector<std::int32_t> device(rows, -1), host(rows, -2);
    emulation::run_grid(kernels::sampler_row_shape(rows), [&](unsigned char*) {
        kernels::sampler_body::draw_classes(5, 10, 3, rows, device.data(), 0);
    });
    cpu::draw_classes(5, 10, 3, rows, host.data());
    EXPECT_EQ(device, host);
    for (auto y : device) ASSERT_TRUE(y >= 0 && y < 10);
    // A rank's shard, rows 700 .. 999 drawn alone from first_row 700, is those rows of the whole.
    std::vector<std::int32_t> shard(rows - 700, -3);
    emulation::run_grid(kernels::sampler_row_shape(rows - 700), [&](unsigned char*) {
        kernels::sampler_body::draw_classes(5, 10, 3, rows - 700, shard.data(), 700);
    });
    EXPECT_EQ(shard, std::vector<std::int32_t>(device.begin() + 700, device.end()));
}

}  // namespace
}  // namespace ebmkit
