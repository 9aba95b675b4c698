// The only door from host/ to device memory. Implemented by cuda/device_memory.cpp
// in a CUDA build and by no_cuda.cpp otherwise (where device requests throw).
#pragma once

#include <cstddef>

#include "ebmkit/context.hpp"
#include "ebmkit/tensor.hpp"

namespace ebmkit::detail {

bool cuda_device_present();
void* device_alloc(std::size_t bytes);
void device_free(void* pointer) noexcept;
// Synchronous copy where at least one side is device memory; one between host and
// device counts in transfer_counts().
void device_copy(void* destination, Device destination_device, const void* source, Device source_device,
                 std::size_t bytes);
void device_zero(void* destination, std::size_t bytes);
// Every element of t to zero, on its device (host memset or device_zero).
void zero(TensorView t);

// This thread's host-device copies and stream synchronisations (host/context.cpp),
// which Context::transfers() reports.
TransferCounts& transfer_counts();

}  // namespace ebmkit::detail
