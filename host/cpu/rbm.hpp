// CPU reference of kernels/rbm.cu, accumulating in double.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "ebmkit/philox.hpp"
#include "ebmkit/rbm.hpp"
#include "kernels/gibbs_rule.hpp"

namespace ebmkit::cpu {

// Raw host pointers to an RBM's parameters: w [D, M], b [D], c [M].
template <typename T>
struct RbmParams {
    std::int64_t visible, hidden;
    T* w;
    T* b;
    T* c;
};

RbmParams<const float> params_of(const Rbm& rbm);
RbmParams<float> params_of(Rbm& rbm);

// pre[j] = c_j + sum_i v_i W_ij.
void hidden_preactivation(const RbmParams<const float>& p, const float* v, std::vector<double>& pre);
// b_i + sum_j W_ij h_j.
double visible_preactivation(const RbmParams<const float>& p, const float* h, std::int64_t i);

// out[i] = 1 when u_i <= prob(i), u_i the Philox uniform (seed key, purpose, chain, step, i).
template <typename Prob>
void bernoulli_units(Prob prob, std::int64_t n, float* out, PhiloxKey key, RngPurpose purpose, std::uint32_t chain,
                     std::uint32_t step) {
    for (std::int64_t i0 = 0; i0 < n; i0 += 4) {
        float u[4];
        uniform4(philox4x32_10(philox_counter(purpose, chain, step, static_cast<std::uint32_t>(i0 / 4)), key), u);
        for (std::int64_t i = i0; i < std::min(i0 + 4, n); ++i) {
            out[i] = kernels::bernoulli_unit(u[i - i0], static_cast<double>(prob(i)));
        }
    }
}

void rbm_hidden_probs(const RbmParams<const float>& p, const float* v, std::int64_t rows, float* ph);
void rbm_visible_probs(const RbmParams<const float>& p, const float* h, std::int64_t rows, float* pv);
// Row r is chain first_chain + r.
void gibbs_step(const RbmParams<const float>& p, float* v, float* h, std::int64_t rows, std::uint64_t seed,
                std::uint32_t step, std::uint32_t first_chain = 0,
                const float* clamp = nullptr, const float* field = nullptr);
void free_energy(const RbmParams<const float>& p, const float* v, std::int64_t rows, float* f);
// The statistics are divided by shard's global row counts (RbmShard, ebmkit/rbm.hpp).
void cd_gradient(const RbmParams<const float>& p, const float* data, std::int64_t data_rows, float* chains,
                 std::int64_t chain_rows, std::uint32_t k, std::uint64_t seed, std::uint32_t first_step, const RbmShard& shard,
                 const RbmParams<float>& grad);
void rbm_gradient(const RbmParams<const float>& p, const float* data, std::int64_t data_rows, const float* samples,
                  std::int64_t sample_rows, const RbmShard& shard, const RbmParams<float>& grad);
double log_partition_exact(const RbmParams<const float>& p);

}  // namespace ebmkit::cpu
