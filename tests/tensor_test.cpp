// Tensor, views and Context basics.
#include <gtest/gtest.h>

#include <thread>

#include "host/device_memory.hpp"
#include "support.hpp"

namespace ebmkit {
namespace {

TEST(Tensor, FromCopiesValuesAndKnowsItsShape) {
    Tensor t = Tensor::from({1, 2, 3, 4, 5, 6}, {2, 3});
    EXPECT_EQ(t.rank(), 2);
    EXPECT_EQ(t.dim(0), 2);
    EXPECT_EQ(t.dim(1), 3);
    EXPECT_EQ(t.numel(), 6);
    EXPECT_EQ(t.bytes(), 24u);
    EXPECT_EQ(t.shape().str(), "[2, 3]");
    EXPECT_EQ(t.to_vector<float>(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
    EXPECT_THROW(Tensor::from({1, 2, 3}, {2, 2}), Error);
}

TEST(Tensor, CloneIsIndependent) {
    Tensor a = Tensor::from({1, 2}, {2});
    Tensor b = a.clone();
    b.data<float>()[0] = 9;
    EXPECT_EQ(a.data<float>()[0], 1);
}

TEST(Tensor, ZerosAndTypedAccess) {
    Tensor z = Tensor::zeros({3, 2}, DType::I32);
    EXPECT_EQ(z.to_vector<std::int32_t>(), std::vector<std::int32_t>(6, 0));
    EXPECT_THROW(z.data<float>(), Error);
    EXPECT_THROW(Shape({1, 2, 3, 4, 5}), Error);
    EXPECT_THROW(Shape({-1}), Error);
}

// A request beyond any memory fails before anything is allocated, with its byte count.
TEST(Tensor, ImpossibleSizesFailBeforeAllocatingWithTheByteCount) {
    const std::int64_t big = std::int64_t{1} << 31;
    try {
        Tensor t({big, big, 4});  // 2^64 elements: not even a byte count exists
        ADD_FAILURE() << "a shape of 2^64 elements was taken";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("2^60 elements"), std::string::npos) << e.what();
    }
    try {
        Tensor t({big, big / 8});  // 2^59 floats: 2^61 bytes, more than the machine has
        ADD_FAILURE() << "2^61 bytes of host memory were taken";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(std::to_string(std::uint64_t{1} << 61) + " bytes"), std::string::npos)
            << e.what();
    }
    EXPECT_THROW(Tensor::zeros({big, big / 8}), Error);
}

TEST(Tensor, CopyChecksShapeAndDtype) {
    Tensor a = Tensor::from({1, 2, 3, 4}, {2, 2});
    Tensor b = Tensor::zeros({4});
    EXPECT_THROW(b.copy_from(a), Error);
    Tensor c = Tensor::zeros({2, 2});
    c.copy_from(a);
    EXPECT_EQ(c.to_vector<float>(), a.to_vector<float>());
}

TEST(Context, AutoPicksCudaExactlyWhenAvailable) {
    Context ctx;
    EXPECT_EQ(ctx.backend(), cuda_available() ? Backend::Cuda : Backend::Cpu);
    EXPECT_EQ(ctx.device(), cuda_available() ? Device::Cuda : Device::Host);
    Context cpu(Backend::Cpu, 5, Precision::Tf32);
    EXPECT_EQ(cpu.seed(), 5u);
    EXPECT_EQ(cpu.precision(), Precision::Tf32);
    EXPECT_THROW(cpu.stream(), Error);
    EXPECT_NO_THROW(cpu.synchronize());
}

TEST(Context, ScopedPrecisionAndMlpPath) {
    Context ctx(Backend::Cpu);
    EXPECT_EQ(ctx.precision(), Precision::Fp32);
    EXPECT_EQ(ctx.mlp_path(), MlpPath::Auto);
    {
        ScopedPrecision bf16(ctx, Precision::Bf16);
        EXPECT_EQ(ctx.precision(), Precision::Bf16);
    }
    EXPECT_EQ(ctx.precision(), Precision::Fp32);
    ctx.set_mlp_path(MlpPath::Unfused);
    EXPECT_EQ(ctx.mlp_path(), MlpPath::Unfused);
    EXPECT_STREQ(to_string(MlpPath::Fused), "fused");
    EXPECT_STREQ(to_string(Precision::Bf16), "bf16");
    // The CPU reference never takes the fused kernels.
    EXPECT_FALSE(uses_fused_mlp(ctx, MlpEnergy({4, 3, 2}, Activation::elu()), 10));
    EXPECT_FALSE(uses_fused_chain(ctx, MlpEnergy({4, 3, 2}, Activation::elu()), 10, LangevinParams{}));
}

// The counter behind Context::transfers(): what the device-memory door counts on this
// thread since the context was made or reset, another thread's counts apart. (That a
// CUDA JEM iteration counts one copy: tests/jem_gpu_test.cpp.)
TEST(Context, TransfersCountThisThreadsCopiesAndWaitsSinceTheReset) {
    detail::transfer_counts().copies += 5;  // before the context: not its own
    Context ctx(Backend::Cpu);
    EXPECT_EQ(ctx.transfers().copies, 0);
    EXPECT_EQ(ctx.transfers().synchronizations, 0);
    detail::transfer_counts().copies += 2;
    detail::transfer_counts().synchronizations += 1;
    EXPECT_EQ(ctx.transfers().copies, 2);
    EXPECT_EQ(ctx.transfers().synchronizations, 1);
    std::thread([] { detail::transfer_counts().copies += 100; }).join();
    EXPECT_EQ(ctx.transfers().copies, 2);
    ctx.reset_transfers();
    EXPECT_EQ(ctx.transfers().copies, 0);
    // Host-to-host copies, CPU work and a CPU context's synchronize() are no transfers.
    Tensor a = test::filled({4, 4}, 1.0f), b({4, 4});
    copy(a, b);
    (void)a.clone();
    ctx.synchronize();
    EXPECT_EQ(ctx.transfers().copies, 0);
    EXPECT_EQ(ctx.transfers().synchronizations, 0);
}

}  // namespace
}  // namespace ebmkit
