// The only door from host/ to device memory. Implemented by cuda/device_memory.cpp
// in a CUDA build and by no_cuda.cpp otherwise (where device requests throw).
#pragma once

#include <cstddef>

#include "ebmkit/tensor.hpp"

namespace ebmkit::detail {

bool cuda_device_present();
void* device_alloc(std::size_t bytes);
void device_free(void* pointer) noexcept;
// Synchronous copy between any two places.
void copy_bytes(void* destination, Device destination_device, const void* source, Device source_device,
                std::size_t bytes);
void zero_bytes(void* destination, Device device, std::size_t bytes);

}  // namespace ebmkit::detail
