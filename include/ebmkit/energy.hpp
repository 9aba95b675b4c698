// The energy concept: what the samplers for any energy (ebmkit/sample.hpp) are templated
// on, as CUB and Thrust take their functors. An energy is a copyable type E with
//
//   EBMKIT_HOST_DEVICE int dim() const;                                   // D
//   EBMKIT_HOST_DEVICE float operator()(const float* x, float* grad) const;
//       // one chain's state x [D]: returns E(x) and writes grad [D] = dE/dx
//
// callable on the host and, for a CUDA context, on the device (compile the call with
// nvcc through ebmkit/sample.cuh). It is a pure function of x: the same x gives the same
// values, and calls for different chains run concurrently. Parameters live in the
// functor (by value, as the shipped energies of ebmkit/energies.hpp keep theirs) or
// behind pointers into the memory of the device it runs on. The density sampled is
// proportional to exp(-E(x) / T) at the sampler's temperature T.
#pragma once

#include <type_traits>
#include <utility>

#include "ebmkit/detail/host_device.hpp"

namespace ebmkit {

template <class E, class = void>
struct is_energy : std::false_type {};
template <class E>
struct is_energy<E, std::void_t<decltype(static_cast<int>(std::declval<const E&>().dim())),
                                decltype(static_cast<float>(std::declval<const E&>()(
                                    std::declval<const float*>(), std::declval<float*>())))>>
    : std::is_copy_constructible<E> {};
template <class E>
inline constexpr bool is_energy_v = is_energy<E>::value;

}  // namespace ebmkit
