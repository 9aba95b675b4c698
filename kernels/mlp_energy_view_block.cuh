// MlpEnergyView's block-cooperative form (include/ebmkit/mlp_energy_view.hpp,
// include/ebmkit/energy.hpp): a block of 256 threads holds 16 chains' states and evaluates
// their E and dE/dx through the fused MLP tile as the energy's block form
// (kernels/mlp_block.cuh's TileEnergy: forward, head, backward to x, every layer's
// activations in shared memory, FP32 products), the tile of LangevinSampler's fused chain.
// Included where sample() on a view is compiled (host/sample_energies.cpp) and by the
// block emulator's tests; the view's public header declares these members only.
#pragma once

#include <cstdint>

#include "ebmkit/mlp_energy_view.hpp"
#include "kernels/mlp_block.cuh"

namespace ebmkit {

namespace detail {

// The view's layers as the tile planner takes them.
inline kernels::MlpLayers layers_of(const MlpEnergyView& v) {
    kernels::MlpLayers l{{}, v.activation, v.slope, {}, {}, Precision::Fp32};
    for (int i = 0; i <= v.layers; ++i) l.widths.push_back(v.widths[i]);
    for (int i = 0; i < v.layers; ++i) {
        l.weights.push_back(v.weights[i]);
        l.biases.push_back(v.biases[i]);
    }
    return l;
}

// The tile of MlpEnergyView::block_rows chains with their states (shared memory: its
// bytes); bytes 0 where it does not fit a block.
inline kernels::mlp_block::Tile view_tile(const MlpEnergyView& v) {
    const kernels::MlpLayers l = layers_of(v);
    kernels::mlp_block::Tile t = kernels::mlp_block::plan(l, MlpEnergyView::block_rows, Precision::Fp32, true);
    if (kernels::mlp_block::rows_per_block(l, MlpEnergyView::block_rows, Precision::Fp32, true,
                                           kernels::device_limits()) < MlpEnergyView::block_rows) {
        t.bytes = 0;
    }
    return t;
}

using ViewTileEnergy = kernels::mlp_block::TileEnergy<MlpEnergyView::block_rows, Precision::Fp32>;

// The view's tile, laid out on the device from the view's values as plan lays it out on
// the host.
EBMKIT_DEVICE inline kernels::mlp_block::Tile device_tile(const MlpEnergyView& v) {
    kernels::mlp_block::Tile t{};
    t.layers = v.layers;
    t.act = v.activation;
    t.slope = v.slope;
    for (int l = 0; l <= v.layers; ++l) {
        t.widths[l] = v.widths[l];
        if (l < v.layers) {
            t.w[l] = v.weights[l];
            t.b[l] = v.biases[l];
        }
    }
    kernels::mlp_block::lay_out(t, MlpEnergyView::block_rows, true);
    return t;
}

}  // namespace detail

inline std::size_t MlpEnergyView::block_shared_bytes() const {
    const int bytes = detail::view_tile(*this).bytes;
    return bytes == 0 ? block_form_unavailable : static_cast<std::size_t>(bytes);
}

inline EBMKIT_DEVICE void MlpEnergyView::block_load(const BlockTile& tile, const float* x, unsigned char* shared) const {
    const kernels::mlp_block::Tile t = detail::device_tile(*this);
    detail::ViewTileEnergy{t, nullptr, label}.block_load(tile, x, shared);
}

template <class OnEnergy, class OnGrad>
inline EBMKIT_DEVICE void MlpEnergyView::block_evaluate(const BlockTile& tile, unsigned char* shared, bool gradient,
                                                        OnEnergy on_energy, OnGrad on_grad) const {
    const kernels::mlp_block::Tile t = detail::device_tile(*this);
    detail::ViewTileEnergy{t, nullptr, label}.block_evaluate(tile, shared, gradient, on_energy, on_grad);
}

inline EBMKIT_DEVICE void MlpEnergyView::block_store(const BlockTile& tile, float* x, unsigned char* shared) const {
    const kernels::mlp_block::Tile t = detail::device_tile(*this);
    detail::ViewTileEnergy{t, nullptr, label}.block_store(tile, x, shared);
}

}  // namespace ebmkit
