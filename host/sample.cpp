#include "ebmkit/sample.hpp"

#include <cmath>
#include <string>

#include "check.hpp"

namespace ebmkit {

SampleParams SampleParams::ula(float alpha, float temperature) {
    SampleParams p;
    p.kind = SamplerKind::Ula;
    p.step = alpha;
    p.temperature = temperature;
    return p;
}

SampleParams SampleParams::mala(float alpha, float temperature) {
    SampleParams p = ula(alpha, temperature);
    p.kind = SamplerKind::Mala;
    return p;
}

SampleParams SampleParams::hmc(float eps, std::uint32_t leapfrog, float temperature) {
    SampleParams p;
    p.kind = SamplerKind::Hmc;
    p.step = eps;
    p.leapfrog = leapfrog;
    p.temperature = temperature;
    return p;
}

float SampleParams::sigma() const { return std::sqrt(2.0f * step * temperature); }

namespace detail {

void check_sample(const char* op, const Context& ctx, int dim, ConstTensorView x, const SampleParams& p) {
    if (dim < 1) fail(std::string(op) + ": the energy's dim() must be >= 1, got " + std::to_string(dim));
    check_tensor(op, "x", x, {any_dim, dim}, DType::F32, ctx.device());
    check_positive(op, "params.step", p.step);
    check_positive(op, "params.temperature", p.temperature);
    if (p.kind == SamplerKind::Hmc && p.leapfrog < 1) fail(std::string(op) + ": params.leapfrog must be >= 1");
    if (!p.mass.empty()) {
        if (p.kind != SamplerKind::Hmc) fail(std::string(op) + ": params.mass is HMC's; the Langevin samplers take none");
        if (static_cast<int>(p.mass.size()) != dim) {
            fail(std::string(op) + ": params.mass holds " + std::to_string(p.mass.size()) + " values for " +
                 std::to_string(dim) + " dimensions");
        }
        for (std::size_t i = 0; i < p.mass.size(); ++i) {
            check_positive(op, ("params.mass[" + std::to_string(i) + "]").c_str(), p.mass[i]);
        }
    }
}

void check_energy_device(const char* op, const Context& ctx, Device device) {
    if (device != ctx.device()) {
        fail(std::string(op) + ": the energy's parameters are on " + to_string(device) + ", the context runs on " +
             to_string(ctx.device()));
    }
}

ChainRule chain_rule(const Context& ctx, const SampleParams& p, const float* mass) {
    return {p.kind, p.step, p.temperature, p.sigma(), p.leapfrog, mass, ctx.seed()};
}

SampleStats sample_stats(std::int64_t rows, std::int64_t dim, std::uint32_t steps, std::int64_t accepted,
                         std::vector<float> trace, const std::vector<float>& energies) {
    SampleStats s;
    s.proposals = rows * static_cast<std::int64_t>(steps);
    s.accepted = accepted;
    if (trace.empty()) return s;
    for (std::uint32_t t = 0; t < steps; ++t) {
        double sum = 0;
        for (std::int64_t r = 0; r < rows; ++r) sum += energies[static_cast<std::size_t>(t) * rows + r];
        s.mean_energy.push_back(sum / static_cast<double>(rows));
    }
    if (steps >= 4) s.diagnostics = chain_diagnostics(trace, steps, rows, dim);
    s.trace = std::move(trace);
    return s;
}

void fail_uncompiled_cuda(const char* op) {
    fail(std::string(op) + ": a CUDA context needs this call compiled by nvcc (a .cu file "
                           "including ebmkit/sample.hpp); this one was compiled for the host only");
}

}  // namespace detail
}  // namespace ebmkit
