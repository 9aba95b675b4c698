// The device draw path (cuRAND's Philox in a kernel) against the CPU reference:
// uniforms bit for bit, normals to a few ulps (__sincosf on the device).
#include <gtest/gtest.h>

#include <cmath>

#include "ebmkit/ebmkit.hpp"
#include "kernels/cuda_check.hpp"
#include "kernels/philox_device.cuh"

namespace ebmkit {
namespace {

// Thread t draws block t of chain blockIdx.y: one thread layout; the draws
// must not depend on it, which the CPU comparison shows.
__global__ void draw_blocks(std::uint64_t seed, std::uint32_t step, int blocks, float* uniforms, float* normals) {
    const int b = blockIdx.x * blockDim.x + threadIdx.x;
    const std::uint32_t chain = blockIdx.y;
    if (b >= blocks) return;
    const Philox4 u_bits = kernels::philox_block(seed, RngPurpose::GibbsHidden, chain, step, b);
    const Philox4 n_bits = kernels::philox_block(seed, RngPurpose::LangevinNoise, chain, step, b);
    float u[4], n[4];
    uniform4(u_bits, u);
    normal4(n_bits, n);
    for (int i = 0; i < 4; ++i) {
        uniforms[(static_cast<std::size_t>(chain) * blocks + b) * 4 + i] = u[i];
        normals[(static_cast<std::size_t>(chain) * blocks + b) * 4 + i] = n[i];
    }
}

TEST(PhiloxGpu, DeviceDrawsMatchTheCpuReference) {
    if (!cuda_available()) GTEST_SKIP() << "no CUDA device: the device draw path needs one";
    const int blocks = 1000, chains = 7;
    const std::uint64_t seed = 0xfeedfacecafebeefull;
    const std::uint32_t step = 12345;
    Tensor u({chains, blocks * 4}, DType::F32, Device::Cuda), n({chains, blocks * 4}, DType::F32, Device::Cuda);
    draw_blocks<<<dim3((blocks + 127) / 128, chains), 128>>>(seed, step, blocks, u.data<float>(), n.data<float>());
    EBMKIT_CUDA_CHECK(cudaGetLastError());
    EBMKIT_CUDA_CHECK(cudaDeviceSynchronize());
    const auto gu = u.to_vector<float>(), gn = n.to_vector<float>();
    double worst = 0;
    for (int c = 0; c < chains; ++c) {
        for (int e = 0; e < blocks * 4; ++e) {
            const std::size_t i = static_cast<std::size_t>(c) * blocks * 4 + e;
            ASSERT_EQ(gu[i], philox_uniform(seed, RngPurpose::GibbsHidden, c, step, e)) << c << ' ' << e;
            const float ref = philox_normal(seed, RngPurpose::LangevinNoise, c, step, e);
            worst = std::max(worst, std::fabs(double(gn[i]) - ref));
        }
    }
    // __sincosf's absolute error is about 2^-21 on [-pi, pi] and grows slowly
    // beyond; times sqrt(-2 log u) <= 6.7.
    EXPECT_LT(worst, 2e-5);
}

}  // namespace
}  // namespace ebmkit
