// The one door from host/ to the CUDA runtime's memory, copy and wait calls: every
// device allocation, copy, memset and host wait of the library passes here, which is
// where Context::transfers() counts them (tests/backend_seam_test.py holds that no other
// file makes these calls). Implemented by cuda/device_memory.cpp in a CUDA build and by
// no_cuda.cpp otherwise (where device requests throw).
//
// stream: the stream the call is ordered on, a Context's (Context::stream()); nullptr is
// the legacy default stream, used only for tensors made without a context.
#pragma once

#include <cstddef>

#include "ebmkit/context.hpp"
#include "ebmkit/tensor.hpp"

namespace ebmkit::detail {

bool cuda_device_present();
// Stream-ordered: from the device's pool, usable by work queued on stream after it and
// returned to the pool once the work queued on stream before the free is done.
void* device_alloc(std::size_t bytes, CUstream_st* stream);
void device_free(void* pointer, CUstream_st* stream) noexcept;
// Page-locked host memory, which a copy on a stream can read and write without a wait.
void* pinned_alloc(std::size_t bytes);
void pinned_free(void* pointer) noexcept;
// The public copy(): synchronous. A host side makes it a host-device copy and a host wait.
void device_copy(void* destination, Device destination_device, const void* source, Device source_device,
                 std::size_t bytes);
// Queued on stream, no host wait: device to device, or between device and pinned host memory
// (which counts as a host-device copy).
void device_copy_async(void* destination, const void* source, std::size_t bytes, bool host_side, CUstream_st* stream);
void device_zero(void* destination, std::size_t bytes, CUstream_st* stream);
// The host waits for everything queued on stream.
void stream_wait(CUstream_st* stream);

// Every element of t to zero, on its device: a host memset, or a memset queued on ctx's stream.
void zero(TensorView t);
void zero(Context& ctx, TensorView t);
// Copies on ctx's stream without a wait where both sides are on the device; a host side
// makes it the synchronous copy().
void copy_on_stream(Context& ctx, ConstTensorView source, TensorView destination);
// bytes of device memory at source into host memory: through the context's pinned
// staging, one host-device copy and one host wait.
void read_back(Context& ctx, const void* source, void* destination, std::size_t bytes);
// t is a tensor of shape and dtype where ctx computes: reallocated (on ctx's stream) only
// when it is not, so that a loop of one shape allocates once.
void ensure(Context& ctx, Tensor& t, Shape shape, DType dtype);

// This thread's host-device copies, host waits and device allocations (host/context.cpp),
// which Context::transfers() reports.
TransferCounts& transfer_counts();

}  // namespace ebmkit::detail
