// CPU reference of kernels/rbm.cu, accumulating in double.
#pragma once

#include <cstdint>

#include "ebmkit/rbm.hpp"

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

void rbm_hidden_probs(const RbmParams<const float>& p, const float* v, std::int64_t rows, float* ph);
void rbm_visible_probs(const RbmParams<const float>& p, const float* h, std::int64_t rows, float* pv);
void gibbs_step(const RbmParams<const float>& p, float* v, float* h, std::int64_t rows, std::uint64_t seed,
                std::uint32_t step);
void free_energy(const RbmParams<const float>& p, const float* v, std::int64_t rows, float* f);
void cd_gradient(const RbmParams<const float>& p, const float* data, std::int64_t data_rows, float* chains,
                 std::int64_t chain_rows, int k, std::uint64_t seed, std::uint32_t first_step,
                 const RbmParams<float>& grad);
double log_partition_exact(const RbmParams<const float>& p);

}  // namespace ebmkit::cpu
