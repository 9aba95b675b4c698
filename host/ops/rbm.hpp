// The Bernoulli RBM's operations (host/ops/ops.hpp): conditionals, Gibbs chains, free
// energy, CD / PCD statistics, centring, log Z (exact and AIS), RAISE, pseudo-likelihood.
#pragma once

#include <cstdint>
#include <vector>

#include "ebmkit/rbm.hpp"

namespace ebmkit::detail {

class RbmOps {
public:
    virtual ~RbmOps() = default;
    // out [rows, M] = p(h | in) (to_hidden), or out [rows, D] = p(v | in).
    virtual void conditional(Context& ctx, const Rbm& rbm, const float* in, std::int64_t rows, float* out,
                             bool to_hidden) const = 0;
    // One sweep h ~ p(h | v), v ~ p(v | h) of the chains v [rows, D], h [rows, M].
    virtual void gibbs_step(Context& ctx, const Rbm& rbm, float* v, float* h, std::int64_t rows,
                            std::uint32_t step) const = 0;
    // steps.count sweeps, keyed steps.first.. ; the evidence (each nullable, [rows, D] on
    // ctx's device, ebmkit/rbm.hpp's VisibleEvidence): clamp, nonzero where a visible unit
    // keeps its value (its draw made and discarded); field, added to each visible input.
    virtual void gibbs_chain(Context& ctx, const Rbm& rbm, float* v, float* h, std::int64_t rows, Steps steps,
                             const float* clamp, const float* field) const = 0;
    // f [rows] = F(v).
    virtual void free_energy(Context& ctx, const Rbm& rbm, const float* v, std::int64_t rows, float* f) const = 0;
    // steps.count sweeps of chains [s, D] (chains of the shard), then grad = the CD
    // statistics. step_offset (nullable): a counter on ctx's device added to every step
    // key, which a replayed update advances (GraphOps).
    virtual void cd_gradient(Context& ctx, const Rbm& rbm, ConstTensorView data, TensorView chains, Rbm& grad,
                             Steps steps, const RbmShard& shard, const std::uint32_t* step_offset) const = 0;
    // grad = the statistics of data and samples.
    virtual void gradient(Context& ctx, const Rbm& rbm, ConstTensorView data, ConstTensorView samples,
                          const RbmShard& shard, Rbm& grad) const = 0;
    // log Z by enumerating the 2^units states of the smaller layer.
    virtual double log_partition_exact(Context& ctx, const Rbm& rbm, std::int64_t units) const = 0;
    // AIS's log weights of runs chains from the base-rate model (base_b on ctx's device,
    // base_host its host copy).
    virtual std::vector<double> ais_log_weights(Context& ctx, const Rbm& rbm, const float* base_b,
                                                const float* base_host, std::int64_t runs,
                                                const std::vector<double>& betas) const = 0;
    // RAISE's log weights [rows * runs] of reverse chains from v [rows, D].
    virtual std::vector<double> raise_log_weights(Context& ctx, const Rbm& rbm, const float* base_b,
                                                  const float* base_host, const float* v, std::int64_t rows,
                                                  std::int64_t runs, const std::vector<double>& betas) const = 0;
    // out [rows] = the pseudo-log-likelihood of v [rows, D].
    virtual void pseudo_log_likelihood(Context& ctx, const Rbm& rbm, ConstTensorView v, TensorView out) const = 0;
    // offset [cols] = (1 - rate) offset + rate * the mean row of x [rows, cols].
    virtual void follow_mean(Context& ctx, float* offset, const float* x, std::int64_t rows, std::int64_t cols,
                             float rate) const = 0;
    // The plain ascent direction in grad into the centred one at offsets mu, lambda.
    virtual void center_gradient(Context& ctx, Rbm& grad, const float* mu, const float* lambda) const = 0;
};

}  // namespace ebmkit::detail
