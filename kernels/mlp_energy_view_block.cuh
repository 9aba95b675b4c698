// MlpEnergyView's block-cooperative form (include/ebmkit/mlp_energy_view.hpp,
// include/ebmkit/energy.hpp): a block of 256 threads evaluates 16 chains' E and dE/dx
// through the fused MLP tile (kernels/mlp_block.cuh: forward, head, backward to x, every
// layer's activations in shared memory, FP32 products), as the fused Langevin chain does.
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

// The tile of MlpEnergyView::block_rows chains (shared memory: its bytes); bytes 0
// where it does not fit a block.
inline kernels::mlp_block::Tile view_tile(const MlpEnergyView& v) {
    const kernels::MlpLayers l = layers_of(v);
    kernels::mlp_block::Tile t = kernels::mlp_block::plan(l, MlpEnergyView::block_rows, Precision::Fp32, false);
    if (kernels::mlp_block::rows_per_block(l, MlpEnergyView::block_rows, Precision::Fp32, false,
                                           kernels::device_limits()) < MlpEnergyView::block_rows) {
        t.bytes = 0;
    }
    return t;
}

}  // namespace detail

inline std::size_t MlpEnergyView::block_shared_bytes() const {
    const int bytes = detail::view_tile(*this).bytes;
    return bytes == 0 ? block_form_unavailable : static_cast<std::size_t>(bytes);
}

inline EBMKIT_DEVICE void MlpEnergyView::block_evaluate(const float* x, int rows, float* energy, float* grad,
                                                        unsigned char* shared) const {
    namespace mb = kernels::mlp_block;
    // The tile laid out from the view's values as plan lays it out on the host.
    mb::Tile t{};
    t.layers = layers;
    t.act = activation;
    t.slope = slope;
    for (int l = 0; l <= layers; ++l) {
        t.widths[l] = widths[l];
        if (l < layers) {
            t.w[l] = weights[l];
            t.b[l] = biases[l];
        }
    }
    mb::lay_out(t, block_rows, false);
    // A conditioned energy's label for each of the tile's rows (the head reads one per row).
    std::int32_t labels[block_rows];
    for (int r = 0; r < block_rows; ++r) labels[r] = label;
    float* smem = reinterpret_cast<float*>(shared);
    const mb::Split whole{0, 1};
    const int d = widths[0];
    auto x_at = [&](int r, int k) { return r < rows ? x[static_cast<std::int64_t>(r) * d + k] : 0.0f; };
    auto no_hidden = [](int, int, int, const float*) {};
    auto no_delta = [](int, int, int, const float*) {};
    mb::forward<block_rows, Precision::Fp32>(t, whole, smem, x_at, no_hidden);
    mb::tile_energy_head<block_rows>(t, smem, label >= 0 ? labels : nullptr, rows, true,
                                     [&](int r, float e) { energy[r] = e; });
    auto to_grad = [&](int r, int c, const float* g) {
        if (r >= rows) return;
        for (int j = 0; j < 4 && c + j < d; ++j) grad[static_cast<std::int64_t>(r) * d + c + j] = g[j];
    };
    mb::backward<block_rows, Precision::Fp32>(t, whole, smem, no_delta, true, to_grad);
}

}  // namespace ebmkit
