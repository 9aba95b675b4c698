// The only door from host/ to device memory. Implemented by cuda/device_memory.cpp
// in a CUDA build and by no_cuda.cpp otherwise (where device requests throw).
#pragma once

#include <cstddef>


namespace ebmkit::detail {

bool cuda_device_present();
void* device_alloc(std::size_t bytes);
void device_free(void* pointer) noexcept;
// Synchronous copy where at least one side is device memory.
void device_copy(void* destination, const void* source, std::size_t bytes);
void device_zero(void* destination, std::size_t bytes);

}  // namespace ebmkit::detail
