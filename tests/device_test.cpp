// Device memory (its size limit included), the Context's CUDA resources and the device
// side of the argument contract (JEM on the GPU: tests/jem_gpu_test.cpp). Each test
// skips, saying why, where no device is present.
#include <gtest/gtest.h>

#include <cmath>

#include "support.hpp"

namespace ebmkit {
namespace {

TEST(Tensor, RoundTripsThroughTheDevice) {
    if (!cuda_available()) GTEST_SKIP() << "no CUDA device: host<->device copies need one";
    Tensor a = Tensor::from({1, 2, 3, 4, 5}, {5});
    Tensor d = a.to(Device::Cuda);
    EXPECT_EQ(d.device(), Device::Cuda);
    EXPECT_EQ(d.to_vector<float>(), a.to_vector<float>());
    Tensor z = Tensor::zeros({5}, DType::F32, Device::Cuda);
    z.copy_from(d);
    EXPECT_EQ(z.to(Device::Host).to_vector<float>(), a.to_vector<float>());
}

// A request beyond the device's memory fails before the allocator runs, with its byte count.
TEST(Tensor, ADeviceTensorBeyondTheDeviceFailsWithItsByteCount) {
    if (!cuda_available()) GTEST_SKIP() << "no CUDA device: device allocations need one";
    const std::int64_t n = std::int64_t{1} << 40;  // 4 TiB of floats
    try {
        Tensor t({n}, DType::F32, Device::Cuda);
        ADD_FAILURE() << "4 TiB of device memory were taken";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(std::to_string(4 * n) + " bytes requested"), std::string::npos) << e.what();
    }
    Tensor fine({4}, DType::F32, Device::Cuda);  // the device is still usable
    EXPECT_EQ(fine.device(), Device::Cuda);
}

TEST(Context, CudaResourcesAreCreatedOnDemand) {
    if (!cuda_available()) GTEST_SKIP() << "no CUDA device: stream, cuBLAS handle and workspace need one";
    Context ctx(Backend::Cuda);
    EXPECT_NE(ctx.stream(), nullptr);
    EXPECT_EQ(ctx.stream(), ctx.stream());
    EXPECT_NE(ctx.cublas(), nullptr);
    void* small = ctx.workspace(1024);
    EXPECT_NE(small, nullptr);
    EXPECT_EQ(ctx.workspace(512), small);  // never shrinks
    EXPECT_NE(ctx.workspace(1 << 20), nullptr);
    ctx.synchronize();
}

// Another context's stream stands in for a framework's: a long Gibbs chain on a,
// then b reads the chains after wait_for_stream, and a reads b's output after
// make_stream_wait, with no host wait between. Unfenced, b would read chains mid-run.
TEST(Context, StreamFencesOrderWorkWithACallersStreamWithoutAHostWait) {
    if (!cuda_available()) GTEST_SKIP() << "no CUDA device: streams need one";
    auto rng = test::fresh_rng();
    Context a(Backend::Cuda, 5), b(Backend::Cuda, 5);
    const Rbm rbm = test::random_rbm(rng, 784, 500, 0.5f).to(Device::Cuda);
    Tensor v = test::random_bits(rng, 1024, 784).to(Device::Cuda), h({1024, 500}, DType::F32, Device::Cuda);
    Tensor f = test::poisoned({1024}, Device::Cuda), g = test::poisoned({1024}, Device::Cuda);
    a.synchronize();
    b.synchronize();
    a.reset_transfers();
    b.reset_transfers();
    gibbs_chain(a, rbm, v, h, Steps{0, 300});
    b.wait_for_stream(a.stream());
    free_energy(b, rbm, v, f);
    b.make_stream_wait(a.stream());
    const ConstTensorView rows(f.view().raw(), {1024, 1}, DType::F32, Device::Cuda);
    logsumexp(a, rows, g);  // rows of one: g = f
    EXPECT_EQ(a.transfers().synchronizations + b.transfers().synchronizations, 0);
    a.synchronize();
    Tensor f_ref({1024}, DType::F32, Device::Cuda);
    free_energy(a, rbm, v, f_ref);
    EXPECT_EQ(f.to_vector<float>(), f_ref.to_vector<float>());
    EXPECT_EQ(g.to_vector<float>(), f_ref.to_vector<float>());
}

TEST(Context, StreamFencesNeedACudaContext) {
    Context cpu(Backend::Cpu);
    EXPECT_THROW(cpu.wait_for_stream(nullptr), Error);
    EXPECT_THROW(cpu.make_stream_wait(nullptr), Error);
    EXPECT_THROW(cpu.adopt_stream(nullptr), Error);
}

// b adopts a's stream (standing in for a framework's): b's work is ordered after a's
// with no fence and no host wait, and a tensor b made before still frees safely.
TEST(Context, AnAdoptedStreamCarriesTheWorkWithoutFences) {
    if (!cuda_available()) GTEST_SKIP() << "no CUDA device: streams need one";
    auto rng = test::fresh_rng();
    Context a(Backend::Cuda, 5), b(Backend::Cuda, 5);
    const Rbm rbm = test::random_rbm(rng, 784, 500, 0.5f).to(Device::Cuda);
    Tensor v = test::random_bits(rng, 1024, 784).to(Device::Cuda), h({1024, 500}, DType::F32, Device::Cuda);
    Tensor before = Tensor::zeros({1024}, DType::F32, b);  // on b's own stream, freed after the switch
    b.adopt_stream(a.stream());
    EXPECT_EQ(b.stream(), a.stream());
    Tensor f = test::poisoned({1024}, Device::Cuda);
    a.synchronize();
    a.reset_transfers();
    b.reset_transfers();
    gibbs_chain(a, rbm, v, h, Steps{0, 300});
    free_energy(b, rbm, v, f);  // one stream: after the chain without a fence
    EXPECT_EQ(a.transfers().synchronizations + b.transfers().synchronizations, 0);
    a.synchronize();
    Tensor f_ref({1024}, DType::F32, Device::Cuda);
    free_energy(a, rbm, v, f_ref);
    EXPECT_EQ(f.to_vector<float>(), f_ref.to_vector<float>());
}

// On the legacy default stream (torch's default) nothing can be captured as a graph: the
// Langevin chain's graph-replayed steps queue one by one there, the same bits.
TEST(Context, OnTheLegacyStreamTheGraphPathsQueueTheirLaunches) {
    if (!cuda_available()) GTEST_SKIP() << "no CUDA device: streams need one";
    auto rng = test::fresh_rng();
    const MlpEnergy model = test::random_mlp(rng, {64, 128, 10}, Activation::elu()).to(Device::Cuda);
    const Tensor start = test::uniform_tensor(rng, {100, 64}, -1.0f, 1.0f);
    Context own(Backend::Cuda, 9), legacy(Backend::Cuda, 9);
    legacy.adopt_stream(nullptr);
    EXPECT_EQ(legacy.stream(), nullptr);
    Tensor x = start.to(Device::Cuda), y = start.to(Device::Cuda);
    LangevinParams p;
    p.clamp = true;
    langevin_chain(own, model, x, p, Steps{0, 20});
    langevin_chain(legacy, model, y, p, Steps{0, 20});
    legacy.synchronize();
    EXPECT_TRUE(test::same_bytes(x.to_vector<float>(), y.to_vector<float>()));
}

TEST(DeviceContract, TensorOnTheWrongDeviceIsNamedAndNothingIsWritten) {
    if (!cuda_available()) GTEST_SKIP() << "no CUDA device: cannot build a device tensor to mismatch";
    Context gpu(Backend::Cuda);
    Tensor x = test::filled({2, 3}, 0.0f), out = test::filled({2}, 0.0f, Device::Cuda);
    const auto before = out.to_vector<float>();
    try {
        logsumexp(gpu, x, out);
        ADD_FAILURE() << "a host tensor was accepted by a cuda context";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("x must be"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("on cuda, got [2, 3] float32 on host"), std::string::npos) << e.what();
    }
    EXPECT_EQ(out.to_vector<float>(), before);
}

}  // namespace
}  // namespace ebmkit
