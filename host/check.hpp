// Argument checks shared by every public operation. They run before anything is
// launched or written, so a rejected call changes nothing.
#pragma once

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "ebmkit/context.hpp"
#include "ebmkit/error.hpp"
#include "ebmkit/tensor.hpp"

namespace ebmkit {
enum class ActivationKind;
class MlpEnergy;
class Rbm;
}

namespace ebmkit::detail {

// A dimension that check_tensor accepts at any size >= 1.
constexpr std::int64_t any_dim = -1;

// Throws Error "<op>: <name> must be a <shape> <dtype> tensor on <device>, got ..."
// unless t is non-empty with that rank, dims (any_dim matches any), dtype and device.
void check_tensor(const char* op, const char* name, ConstTensorView t,
                  std::initializer_list<std::int64_t> dims, DType dtype, Device device);

// Throws unless value is finite (and > 0 / >= 0 for the variants).
void check_finite(const char* op, const char* name, double value);
void check_positive(const char* op, const char* name, double value);
void check_non_negative(const char* op, const char* name, double value);

// Throws when two views share storage (an in-place call the operation does not support).
void check_no_alias(const char* op, const char* name_a, ConstTensorView a, const char* name_b,
                    ConstTensorView b);

// The model lives where ctx computes; x is [N, model.input_dim()] there. (host/mlp.cpp)
void check_model(const char* op, const Context& ctx, const MlpEnergy& model);
void check_input(const char* op, const Context& ctx, const MlpEnergy& model, ConstTensorView x);
// labels: [rows] int32 on ctx's device, every value in [0, K).
void check_labels(const char* op, const Context& ctx, const MlpEnergy& model, ConstTensorView labels, std::int64_t rows);

// The rbm lives where ctx computes. (host/rbm.cpp)
void check_model(const char* op, const Context& ctx, const Rbm& rbm);

// A noise ladder: non-empty, every level positive and finite, strictly decreasing. (host/score.cpp)
void check_noise_ladder(const char* op, const std::vector<float>& sigmas);

[[noreturn]] void fail(const std::string& message);

}  // namespace ebmkit::detail
