// Sliced score matching's loss and parameter gradient on the device (kernels/score.hpp's
// SlicedScore): the CPU twin's Taylor-mode passes (host/cpu/score.cpp, host/cpu/jet.hpp)
// in float, every quantity of the MLP's forward and backward passes carried as a jet
// a(t) = a0 + a1 t + a2 t^2 from the input x + t v. A jet matrix [rows, w] is stored as
// its three coefficient blocks back to back (coefficient c of element i at c rows w + i),
// so each of a layer's products is one matrix product over 3 x rows rows:
//   forward:   Z_{l+1} = A_l W_l^T (+ b_l on the constant block), A_{l+1} = act(Z_{l+1});
//   head:      Delta_L = -softmax(F) as a jet;
//   backward:  B_l = Delta_{l+1} W_l, Delta_l = B_l act'(Z_l) (jet product), G = B_0.
// Per row, with g = G's constant block: the loss -v.G1 + 1/2 (v.g)^2 (or 1/2 |g|^2 in the
// variance-reduced form), G1 = H v. The gradient pairs the passes' factors,
//   dW_l = sum_r sum_{p+q=2} k2 Delta_p A_q^T + sum_{p+q=1} k1_r Delta_p A_q^T,
// k2 = -2 scale (grad_theta E(x + t v)'s t^2 coefficient is half of grad_theta v^T H v), k1_r = scale v.g
// (the 1/2 (v.g)^2 term); folded into left factors L_q paired with A_q: L_0 = k2 D_2 + k1 D_1,
// L_1 = k2 D_1 + k1 D_0, L_2 = k2 D_0, so dW_l = L_0^T A_0 + [L_1; L_2]^T [A_1; A_2] and
// db_l = the column sums of L_0. The variance-reduced term is a second pass along g with
// k2 = 0, k1 = scale. A pass is one fused launch (kernels/score_sliced_fused.cuh) where
// the model fits it and the caller allows it, else the products and elementwise kernels
// below. The products are the device's (cuBLAS on CUDA, a host product in the emulated
// suite): run_sliced takes them from a Device policy, so the emulated suite runs this very
// sequence, both ways.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/activation.cuh"
#include "kernels/grid_stride.cuh"
#include "kernels/jet_rule.cuh"
#include "kernels/launch_shape.hpp"
#include "kernels/mlp.hpp"
#include "kernels/operation.hpp"
#include "kernels/score.hpp"
#include "kernels/score_sliced_fused.cuh"

namespace ebmkit::kernels::score_sliced {

// The input jet [3 rows, d] = (x, direction, 0).
struct InputJet {
    const float* x;
    const float* direction;
    std::int64_t n;  // rows d
    float* out;
    __device__ void operator()() const {
        for (std::int64_t i = first_item(); i < n; i += item_stride()) {
            out[i] = x[i];
            out[n + i] = direction[i];
            out[2 * n + i] = 0.0f;
        }
    }
};

// Z's constant block += b; then, for a hidden layer (a non-null), A = act(Z) as a jet
// (kernels/jet_rule.cuh).
struct JetBiasActivate {
    float* z;
    float* a;
    const float* b;
    std::int64_t rows, cols;
    ActivationKind act;
    float slope;
    __device__ void operator()() const {
        const std::int64_t n = rows * cols;
        for (std::int64_t i = first_item(); i < n; i += item_stride()) {
            const float z0 = z[i] + b[i % cols];
            z[i] = z0;
            if (!a) continue;
            const float z1 = z[n + i], z2 = z[2 * n + i];
            float aj[3];
            jet::activation(act, slope, z0, z1, z2, aj);
            for (int c = 0; c < 3; ++c) a[c * n + i] = aj[c];
        }
    }
};

// A row per thread: Delta = -softmax(F) as a jet (kernels/jet_rule.cuh). With p =
// softmax(f0), the jet of LSE(F) is (lse0, p.f1, p.f2 + (p.f1^2 - (p.f1)^2) / 2).
struct JetHead {
    const float* f;
    float* delta;
    std::int64_t rows, k;
    __device__ void operator()() const {
        const std::int64_t n = rows * k;
        for (std::int64_t r = first_item(); r < rows; r += item_stride()) {
            const float* f0 = f + r * k;
            const float* f1 = f0 + n;
            const float* f2 = f1 + n;
            float top = f0[0];
            for (std::int64_t j = 1; j < k; ++j) top = fmaxf(top, f0[j]);
            float sum = 0.0f;
            for (std::int64_t j = 0; j < k; ++j) sum += expf(f0[j] - top);
            const float lse0 = top + logf(sum);
            float l1 = 0.0f, l2 = 0.0f, sq = 0.0f;
            for (std::int64_t j = 0; j < k; ++j) {
                const float p = expf(f0[j] - lse0);
                l1 = fmaf(p, f1[j], l1);
                l2 = fmaf(p, f2[j], l2);
                sq = fmaf(p * f1[j], f1[j], sq);
            }
            l2 += 0.5f * (sq - l1 * l1);
            float* d0 = delta + r * k;
            float* d1 = d0 + n;
            float* d2 = d1 + n;
            for (std::int64_t j = 0; j < k; ++j) {
                float d[3];
                jet::negative_softmax(expf(f0[j] - lse0), f1[j], f2[j], l1, l2, d);
                d0[j] = d[0];
                d1[j] = d[1];
                d2[j] = d[2];
            }
        }
    }
};

// In place over the backward product B: Delta = B act'(Z) as a jet (kernels/jet_rule.cuh).
struct JetTimesActGrad {
    float* b;
    const float* z;
    std::int64_t n;  // rows cols
    ActivationKind act;
    float slope;
    __device__ void operator()() const {
        for (std::int64_t i = first_item(); i < n; i += item_stride()) {
            float d[3];
            jet::times_activation_grad(act, slope, z[i], z[n + i], z[2 * n + i], b[i], b[n + i], b[2 * n + i], d);
            for (int c = 0; c < 3; ++c) b[c * n + i] = d[c];
        }
    }
};

// A row per thread, from the input-gradient jet G [3 rows, d] and the projections v:
// the row's loss -v.G1 + 1/2 (v.g)^2 (variance-reduced: 1/2 |g|^2), g = G0, and its
// first-order weight k1 = scale v.g (variance-reduced: 0, that term is a pass of its own).
struct SlicedRows {
    const float* g;
    const float* v;
    std::int64_t rows, d;
    bool variance_reduced;
    float scale;
    float* row_loss;
    float* k1;
    __device__ void operator()() const {
        const std::int64_t n = rows * d;
        for (std::int64_t r = first_item(); r < rows; r += item_stride()) {
            float vg = 0.0f, vhv = 0.0f, gg = 0.0f;
            for (std::int64_t i = r * d; i < (r + 1) * d; ++i) {
                vg = fmaf(v[i], g[i], vg);
                vhv = fmaf(v[i], g[n + i], vhv);
                gg = fmaf(g[i], g[i], gg);
            }
            row_loss[r] = -vhv + 0.5f * (variance_reduced ? gg : vg * vg);
            k1[r] = variance_reduced ? 0.0f : scale * vg;
        }
    }
};

// The left factors L [3 rows, cols] of a layer from its Delta jet (the header's pairing):
// k1 per row (k1_rows) or one for all (k1_rows null).
struct JetLeftFactors {
    const float* delta;
    const float* k1_rows;
    float k1, k2;
    std::int64_t rows, cols;
    float* left;
    __device__ void operator()() const {
        const std::int64_t n = rows * cols;
        for (std::int64_t i = first_item(); i < n; i += item_stride()) {
            const float c1 = k1_rows ? k1_rows[i / cols] : k1;
            const float d0 = delta[i], d1 = delta[n + i], d2 = delta[2 * n + i];
            left[i] = fmaf(k2, d2, c1 * d1);
            left[n + i] = fmaf(k2, d1, c1 * d0);
            left[2 * n + i] = k2 * d0;
        }
    }
};

// dst[i] = src[i], i < n: the variance-reduced pass's direction g into the input jet.
struct CopyValues {
    const float* src;
    std::int64_t n;
    float* dst;
    __device__ void operator()() const {
        for (std::int64_t i = first_item(); i < n; i += item_stride()) dst[i] = src[i];
    }
};

inline constexpr int threads = 256;

using Arguments = SlicedScore::Arguments;

// Float offsets into the workspace: the input jet and G [3 rows, D]; per layer l = 1 .. L
// Z_l (the unfused pass only), A_l (hidden) and Delta_l [3 rows, w_l]; the left factors
// [3 rows, max w]; the row losses and k1 [rows]; the column sums' partials.
struct Layout {
    std::size_t input, g, left, row_loss, k1, partials, total;
    std::vector<std::size_t> z, a, delta;  // index l (0 unused)
};

inline Layout layout(const MlpLayers& mlp, std::int64_t rows, bool fused, std::size_t partial_floats) {
    Layout l{};
    const auto n = static_cast<std::size_t>(rows), d = static_cast<std::size_t>(mlp.widths[0]);
    WorkspaceCarver carver;
    l.input = carver.take(3 * n * d);
    l.g = carver.take(3 * n * d);
    std::size_t widest = 0;
    for (auto* v : {&l.z, &l.a, &l.delta}) v->assign(mlp.widths.size(), 0);
    for (std::size_t i = 1; i < mlp.widths.size(); ++i) {
        const std::size_t w = 3 * n * static_cast<std::size_t>(mlp.widths[i]);
        widest = std::max(widest, w);
        if (!fused) l.z[i] = carver.take(w);
        if (i + 1 < mlp.widths.size()) l.a[i] = carver.take(w);
        l.delta[i] = carver.take(w);
    }
    l.left = carver.take(widest);
    l.row_loss = carver.take(n);
    l.k1 = carver.take(n);
    l.partials = carver.take(partial_floats);
    l.total = carver.total();
    return l;
}

// The fused pass's rows per block for these arguments on a device, 0 for the unfused pass.
inline int fused_rows(const Arguments& args, const DeviceLimits& limits) {
    return args.fused ? rows_per_block(args.mlp, args.rows, limits) : 0;
}

// The whole sequence on `workspace` (layout's floats, fused = tile_rows > 0), a fused pass
// of tile_rows rows per block or the unfused one. Device provides
//   limits(), launch(shape, op): one grid of op's body;
//   fused_pass(tile, io, tile_rows): one launch of pass_tile;
//   gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc): kernels/gemm.hpp's product;
//   param_grad(delta, a, rows, in, out, accumulate, dw, db, partials): LayerParamGrad;
//   column_sums(x, rows, cols, scale, accumulate, out, partials): scaled_column_sums.
template <class Device>
void run_sliced(const Arguments& args, int tile_rows, float* workspace, const Layout& l, Device& dev) {
    const MlpLayers& mlp = args.mlp;
    const std::int64_t rows = args.rows, d = mlp.widths[0];
    if (rows == 0) return;
    const int layers = static_cast<int>(mlp.weights.size());
    float* w = workspace;
    auto width = [&](int i) { return mlp.widths[static_cast<std::size_t>(i)]; };
    auto as_int = [](std::int64_t v) { return static_cast<int>(v); };
    auto elements = [&](std::int64_t n) { return grid_stride(n, threads, threads, dev.limits()); };
    const int stacked = as_int(3 * rows);
    auto a_of = [&](int i) { return i == 0 ? w + l.input : w + l.a[i]; };

    // One pass from the input jet: every A and Delta, and G.
    auto pass = [&] {
        if (tile_rows > 0) {
            PassIo io{};
            io.input = w + l.input;
            io.rows = rows;
            io.g = w + l.g;
            for (int i = 1; i <= layers; ++i) {
                io.a[i] = i < layers ? w + l.a[i] : nullptr;
                io.delta[i] = w + l.delta[i];
            }
            dev.fused_pass(plan(mlp, tile_rows, mlp.precision), io, tile_rows);
            return;
        }
        for (int i = 0; i < layers; ++i) {
            const std::int64_t in = width(i), out = width(i + 1);
            dev.gemm(false, true, stacked, as_int(out), as_int(in), 1.0f, a_of(i), as_int(in), mlp.weights[i],
                     as_int(in), 0.0f, w + l.z[i + 1], as_int(out));
            dev.launch(elements(rows * out), JetBiasActivate{w + l.z[i + 1], i + 1 < layers ? w + l.a[i + 1] : nullptr,
                                                             mlp.biases[i], rows, out, mlp.activation, mlp.leaky_slope});
        }
        dev.launch(elements(rows), JetHead{w + l.z[layers], w + l.delta[layers], rows, width(layers)});
        for (int i = layers - 1; i >= 0; --i) {
            const std::int64_t in = width(i), out = width(i + 1);
            float* b = i == 0 ? w + l.g : w + l.delta[i];
            dev.gemm(false, false, stacked, as_int(in), as_int(out), 1.0f, w + l.delta[i + 1], as_int(out),
                     mlp.weights[i], as_int(in), 0.0f, b, as_int(in));
            if (i > 0) {
                dev.launch(elements(rows * in), JetTimesActGrad{b, w + l.z[i], rows * in, mlp.activation, mlp.leaky_slope});
            }
        }
    };
    // The pass's share of the gradient: dW_l = L_0^T A_0 + [L_1; L_2]^T [A_1; A_2]. The L_2 A_2
    // term is left out where it is zero: the input's A_2 (its jet has no t^2 term) and a
    // pass without second-order weight (k2 = 0, so L_2 = 0).
    auto gradient = [&](const float* k1_rows, float k1, float k2, bool accumulate) {
        float* left = w + l.left;
        for (int i = 0; i < layers; ++i) {
            const std::int64_t in = width(i), out = width(i + 1);
            const std::int64_t paired = i == 0 || k2 == 0.0f ? rows : 2 * rows;
            dev.launch(elements(rows * out), JetLeftFactors{w + l.delta[i + 1], k1_rows, k1, k2, rows, out, left});
            dev.param_grad(left, a_of(i), rows, in, out, accumulate, args.dweights[i], args.dbiases[i], w + l.partials);
            dev.gemm(true, false, as_int(out), as_int(in), as_int(paired), 1.0f, left + rows * out, as_int(out),
                     a_of(i) + rows * in, as_int(in), 1.0f, args.dweights[i], as_int(in));
        }
    };

    dev.launch(elements(rows * d), InputJet{args.x, args.v, rows * d, w + l.input});
    pass();
    dev.launch(elements(rows), SlicedRows{w + l.g, args.v, rows, d, args.variance_reduced, args.scale, w + l.row_loss,
                                          w + l.k1});
    dev.column_sums(w + l.row_loss, rows, 1, args.scale, false, args.loss, w + l.partials);
    if (args.dweights.empty()) return;
    gradient(w + l.k1, 0.0f, -2.0f * args.scale, false);
    if (args.variance_reduced) {
        // 1/2 |g|^2: scale d/dt grad_theta E(x + t g), the first-order pairing of a pass along g.
        dev.launch(elements(rows * d), CopyValues{w + l.g, rows * d, w + l.input + rows * d});
        pass();
        gradient(nullptr, args.scale, 0.0f, true);
    }
}

}  // namespace ebmkit::kernels::score_sliced
