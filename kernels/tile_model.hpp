// The model as the on-chip kernels' tiles see it (the fused MLP and chains,
// kernels/mlp_block.cuh; the fused second-order kernels, kernels/score_fused.cuh and
// kernels/score_sliced_fused.cuh): each kernel's Tile is this plus its own shared-memory
// plan, passed by value to the launch. Plain C++, for the host's plans and the device.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/mlp.hpp"

namespace ebmkit::kernels {

// The most layers an on-chip kernel takes (its tile's arrays are sized by it).
inline constexpr int tile_max_layers = 8;

struct TileModel {
    int layers;
    int widths[tile_max_layers + 1];
    const float* w[tile_max_layers];  // device pointers of the weights [w_{l+1}, w_l] and biases
    const float* b[tile_max_layers];
    ActivationKind act;
    float slope;
};

// Whether an on-chip kernel can hold mlp's shape at all: at most tile_max_layers layers,
// widths within 2^20 (its shared-memory plan decides the rest).
inline bool tile_holds(const MlpLayers& mlp) {
    if (mlp.weights.size() > static_cast<std::size_t>(tile_max_layers)) return false;
    for (std::int64_t w : mlp.widths) {
        if (w > (1 << 20)) return false;
    }
    return true;
}

// mlp's view for a tile (a model tile_holds refuses keeps only what fits the arrays).
inline TileModel tile_model(const MlpLayers& mlp) {
    TileModel m{};
    m.layers = static_cast<int>(mlp.weights.size());
    m.act = mlp.activation;
    m.slope = mlp.leaky_slope;
    for (int l = 0; l <= m.layers && l <= tile_max_layers; ++l) {
        m.widths[l] = static_cast<int>(mlp.widths[l]);
        if (l < m.layers && l < tile_max_layers) {
            m.w[l] = mlp.weights[l];
            m.b[l] = mlp.biases[l];
        }
    }
    return m;
}

}  // namespace ebmkit::kernels
