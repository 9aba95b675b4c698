/// @file
/// The energy concept: what the samplers for any energy (ebmkit/sample.hpp) are templated
/// on, as CUB and Thrust take their functors. An energy is a copyable type E with
///
///   EBMKIT_HOST_DEVICE int dim() const;                                   // D
///   EBMKIT_HOST_DEVICE float operator()(const float* x, float* grad) const;
///       // one chain's state x [D]: returns E(x) and writes grad [D] = dE/dx
///
/// callable on the host and, for a CUDA context, on the device (compile the call with
/// nvcc through ebmkit/sample.cuh). It is a pure function of x: the same x gives the same
/// values, and calls for different chains run concurrently. Parameters live in the
/// functor (by value, as the shipped energies of ebmkit/energies.hpp keep theirs) or
/// behind pointers into the memory of the device it runs on. The density sampled is
/// proportional to exp(-E(x) / T) at the sampler's temperature T.
///
/// Two optional members:
///
///   EBMKIT_HOST_DEVICE int scratch_floats() const;                        // S
///   EBMKIT_HOST_DEVICE float operator()(const float* x, float* grad, float* scratch) const;
///       // an energy that needs working memory (an MLP's activations: MlpEnergyView,
///       // ebmkit/mlp_energy_view.hpp) takes this form instead; each chain passes it S
///       // floats of its own, whose contents need not survive between calls
///   Device device() const;
///       // an energy whose parameters live in one device's memory says which; sample()
///       // refuses a context on another device
///
/// and a block-cooperative form, for an energy that evaluates several chains at once
/// with a thread block and its shared memory (an MLP's products as tiles: the library's
/// MlpEnergyView on CUDA, and LangevinSampler's fused chain, whose tile is this form's
/// other instance); on a CUDA context sample() then runs a block per tile of chains
/// (detail/sample_block.cuh) instead of a thread per chain. The tile's states live in the
/// energy's shared memory, so an unadjusted chain updates them where the gradient is made:
///
///   static constexpr int block_rows = R;               // chains a block evaluates, <= 256
///   std::size_t block_shared_bytes() const;             // its dynamic shared memory (the tile's
///       // states included), or block_form_unavailable where this energy's form does not fit
///       // (a thread per chain then)
///   __device__ void block_load(const BlockTile& tile, const float* x, unsigned char* shared) const;
///       // the tile's states x [tile.valid, D] (row stride D, global memory) into shared
///   template <class OnEnergy, class OnGrad>
///   __device__ void block_evaluate(const BlockTile& tile, unsigned char* shared, bool gradient,
///                                  OnEnergy on_energy, OnGrad on_grad) const;
///       // E and dE/dx at the loaded states: on_energy(r, e) once for each r < tile.valid;
///       // with gradient, on_grad(r, c, g, x4) once for each r < tile.valid and c = 0, 4,
///       // 8, ... < D, g [4] the gradient at columns c .. c + 3 (those < D) and x4 [4] the
///       // loaded states there (both touched below D only), which on_grad may change: the energy
///       // has read them for the last time in this call, and block_store and the next
///       // block_evaluate see the change
///   __device__ void block_store(const BlockTile& tile, float* x, unsigned char* shared) const;
///       // the loaded states back to x [tile.valid, D]
///
/// All 256 threads of a block call each member at the same points; the caller synchronises
/// the block between calls.
#pragma once

#include <cstddef>
#include <cstdint>

#include <type_traits>
#include <utility>

#include "ebmkit/detail/host_device.hpp"

namespace ebmkit {

/// Whether E has the scratch form: `scratch_floats()` and `E(x, grad, scratch)`.
template <class E, class = void>
struct energy_has_scratch : std::false_type {};
/// @cond
template <class E>
struct energy_has_scratch<E, std::void_t<decltype(static_cast<int>(std::declval<const E&>().scratch_floats())),
                                         decltype(static_cast<float>(std::declval<const E&>()(
                                             std::declval<const float*>(), std::declval<float*>(),
                                             std::declval<float*>())))>> : std::true_type {};
/// @endcond

/// Whether E has the plain form `E(x, grad)`.
template <class E, class = void>
struct energy_has_plain_call : std::false_type {};
/// @cond
template <class E>
struct energy_has_plain_call<E, std::void_t<decltype(static_cast<float>(std::declval<const E&>()(
                                    std::declval<const float*>(), std::declval<float*>())))>> : std::true_type {};
/// @endcond

/// Whether E says which device its data lives on (`device()`).
template <class E, class = void>
struct energy_has_device : std::false_type {};
/// @cond
template <class E>
struct energy_has_device<E, std::void_t<decltype(std::declval<const E&>().device())>> : std::true_type {};
/// @endcond

/// The chains a block-cooperative energy's block evaluates: rows first .. first + valid - 1
/// of the call's x (valid <= block_rows).
struct BlockTile {
    std::int64_t first;  ///< the tile's first row
    int valid;           ///< its rows, <= block_rows
};

/// Tile `index` of `tile_rows` rows of `rows` (valid <= 0 past the last).
EBMKIT_HOST_DEVICE BlockTile block_tile(std::int64_t index, int tile_rows, std::int64_t rows) {
    const std::int64_t first = index * tile_rows;
    return {first, static_cast<int>(rows - first < tile_rows ? rows - first : tile_rows)};
}

/// What a block-cooperative energy's `block_shared_bytes()` returns when it cannot take the block form.
inline constexpr std::size_t block_form_unavailable = static_cast<std::size_t>(-1);

/// Whether E has the block-cooperative form (`block_rows`, `block_shared_bytes()`, `block_evaluate`).
template <class E, class = void>
struct energy_has_block_form : std::false_type {};
/// @cond
template <class E>
struct energy_has_block_form<E, std::void_t<decltype(static_cast<int>(E::block_rows)),
                                            decltype(static_cast<std::size_t>(
                                                std::declval<const E&>().block_shared_bytes()))>> : std::true_type {};
/// @endcond

/// Whether E is an energy: copyable, with `dim()` and the plain or the scratch form.
template <class E, class = void>
struct is_energy : std::false_type {};
/// @cond
template <class E>
struct is_energy<E, std::void_t<decltype(static_cast<int>(std::declval<const E&>().dim()))>>
    : std::bool_constant<std::is_copy_constructible_v<E> &&
                         (energy_has_plain_call<E>::value || energy_has_scratch<E>::value)> {};
/// @endcond
/// is_energy<E>::value.
template <class E>
inline constexpr bool is_energy_v = is_energy<E>::value;

namespace detail {

/// The floats of scratch each chain gives e (0 for the plain form).
template <class E>
EBMKIT_HOST_DEVICE int energy_scratch_floats(const E& e) {
    if constexpr (energy_has_scratch<E>::value) return e.scratch_floats();
    else return 0;
}

/// E(x) and grad = dE/dx through whichever form e has.
template <class E>
EBMKIT_HOST_DEVICE float evaluate_energy(const E& e, const float* x, float* grad, float* scratch) {
    if constexpr (energy_has_scratch<E>::value) return e(x, grad, scratch);
    else return e(x, grad);
}

}  // namespace detail
}  // namespace ebmkit
