// Launchers of kernels/rbm_eval.cu (free energy, AIS, RAISE, exact log-Z terms,
// pseudo-likelihood) and their launch shapes. Plain C++: host/ includes this without
// CUDA headers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/launch_shape.hpp"
#include "kernels/operation.hpp"
#include "kernels/rbm.hpp"

struct CUstream_st;

namespace ebmkit::kernels {

// f [rows] = -b^T v - sum_j softplus(c_j + v^T W_:j).
void rbm_free_energy(const RbmParams& rbm, const float* v, std::int64_t rows, float* f, CUstream_st* stream);

// AIS log weights of `runs` chains over betas[0 .. count) (host memory; betas[0] = 0,
// betas[count-1] = 1), keyed like the CPU reference (ChainInit, AisHidden, AisVisible;
// chain = run, step = k); log_w [runs] receives them. The workspace: the chains' v
// [runs, D] and h [runs, M].
struct RbmAis {
    struct Arguments {
        RbmParams rbm;
        const float* base_b = nullptr;
        std::int64_t runs = 0;
        const double* betas = nullptr;
        std::int64_t count = 0;
        std::uint64_t seed = 0;
        double* log_w = nullptr;
    };
    static Status can_implement(const Arguments&) { return {}; }
    static std::size_t workspace_bytes(const Arguments& a) {
        return sizeof(float) * static_cast<std::size_t>(a.runs * (a.rbm.visible + a.rbm.hidden));
    }
    static void run(const Arguments& a, void* workspace, CUstream_st* stream);
};

// RAISE log weights (kernels/rbm_eval.cuh's raise_sequence) of `runs` reverse chains per
// row of data [rows, D], chain n * runs + r, keyed like the CPU reference (RaiseHidden,
// RaiseVisible; step k); log_w [rows * runs] receives them. The workspace: the chains'
// v [rows * runs, D] and h [rows * runs, M].
struct RbmRaise {
    struct Arguments {
        RbmParams rbm;
        const float* base_b = nullptr;
        const float* data = nullptr;
        std::int64_t rows = 0;
        std::int64_t runs = 0;
        const double* betas = nullptr;
        std::int64_t count = 0;
        std::uint64_t seed = 0;
        double* log_w = nullptr;
    };
    static Status can_implement(const Arguments&) { return {}; }
    static std::size_t workspace_bytes(const Arguments& a) {
        return sizeof(float) * static_cast<std::size_t>(a.rows * a.runs * (a.rbm.visible + a.rbm.hidden));
    }
    static void run(const Arguments& a, void* workspace, CUstream_st* stream);
};

// For configurations first .. first + count - 1 of the smaller layer (bit e of the
// index is unit e): terms[r] = log of the configuration's unnormalised probability with
// the other layer summed out, e.g. c^T h + sum_i softplus(b_i + W_i: h) when M <= D.
// bits [count, min(D, M)] is scratch.
void rbm_log_partition_terms(const RbmParams& rbm, std::uint64_t first, std::int64_t count, float* bits,
                             float* terms, CUstream_st* stream);

// Pseudo-log-likelihood over all D bits of each row of v [rows, D] (double
// arithmetic); fits when 2 M doubles fit in a block's shared memory (M up to ~14,000 on sm_90).
bool rbm_pseudo_log_likelihood_fits(const RbmParams& rbm);
void rbm_pseudo_log_likelihood(const RbmParams& rbm, const float* v, std::int64_t rows, float* out,
                               CUstream_st* stream);

inline constexpr int rbm_eval_threads = 256;

// A warp per row: -b^T v (free energy, log-Z terms) and AIS's visible term.
inline LaunchShape rbm_row_warp_shape(std::int64_t rows) {
    return one_per_thread(rows * 32, rbm_eval_threads, "rbm row kernels");
}
// A thread per (row, block of four units): AIS's base-rate samples.
inline LaunchShape rbm_base_rate_shape(std::int64_t runs, std::int64_t d) {
    return one_per_thread(runs * ((d + 3) / 4), rbm_eval_threads, "rbm base-rate samples");
}
// A thread per element: the enumerated configurations' bits, the terms' negation, RAISE's
// repeated rows.
inline LaunchShape rbm_elementwise_shape(std::int64_t elements) {
    return one_per_thread(elements, rbm_eval_threads, "rbm elementwise kernels");
}
// Pseudo-likelihood: a block per row; x and softplus(x) [M] and one partial per warp in
// shared memory, as doubles.
inline LaunchShape rbm_pseudo_log_likelihood_shape(std::int64_t rows, std::int64_t hidden) {
    LaunchShape s = one_per_thread(rows, 1, "rbm pseudo-likelihood");
    s.threads = rbm_eval_threads;
    s.shared_bytes = static_cast<int>(std::min<std::int64_t>((2 * hidden + rbm_eval_threads / 32) * 8, 0x7fffffff));
    return s;
}
inline bool rbm_pseudo_log_likelihood_fits(std::int64_t hidden, const DeviceLimits& limits) {
    return rbm_pseudo_log_likelihood_shape(1, hidden).shared_bytes <= limits.shared_bytes;
}

}  // namespace ebmkit::kernels
