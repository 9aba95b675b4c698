#include "check.hpp"

#include <algorithm>
#include <sstream>

namespace ebmkit::detail {

void fail(const std::string& message) { throw Error(message); }

namespace {
std::string describe_expected(std::initializer_list<std::int64_t> dims) {
    std::ostringstream s;
    s << '[';
    int i = 0;
    for (std::int64_t d : dims) {
        if (i++) s << ", ";
        if (d == any_dim) s << '*';
        else s << d;
    }
    s << ']';
    return s.str();
}
}  // namespace

void check_tensor(const char* op, const char* name, ConstTensorView t,
                  std::initializer_list<std::int64_t> dims, DType dtype, Device device) {
    bool ok = t.raw() != nullptr && t.rank() == static_cast<int>(dims.size()) && t.dtype() == dtype &&
              t.device() == device && t.numel() > 0;
    int i = 0;
    for (std::int64_t d : dims) {
        if (!ok) break;
        ok = d == any_dim || t.dim(i) == d;
        ++i;
    }
    if (ok) return;
    std::ostringstream s;
    s << op << ": " << name << " must be a " << describe_expected(dims) << ' ' << to_string(dtype)
      << " tensor on " << to_string(device) << ", got ";
    if (t.raw() == nullptr || t.numel() == 0) s << "an empty tensor " << t.shape().str();
    else s << t.shape().str() << ' ' << to_string(t.dtype()) << " on " << to_string(t.device());
    fail(s.str());
}

void check_finite(const char* op, const char* name, double value) {
    if (!std::isfinite(value)) {
        fail(std::string(op) + ": " + name + " must be finite, got " + std::to_string(value));
    }
}

void check_positive(const char* op, const char* name, double value) {
    if (!(std::isfinite(value) && value > 0)) {
        fail(std::string(op) + ": " + name + " must be finite and > 0, got " + std::to_string(value));
    }
}

void check_non_negative(const char* op, const char* name, double value) {
    if (!(std::isfinite(value) && value >= 0)) {
        fail(std::string(op) + ": " + name + " must be finite and >= 0, got " + std::to_string(value));
    }
}

void check_no_alias(const char* op, const char* name_a, ConstTensorView a, const char* name_b,
                    ConstTensorView b) {
    const auto* a0 = static_cast<const char*>(a.raw());
    const auto* b0 = static_cast<const char*>(b.raw());
    const auto* a1 = a0 + a.numel() * static_cast<std::int64_t>(element_size(a.dtype()));
    const auto* b1 = b0 + b.numel() * static_cast<std::int64_t>(element_size(b.dtype()));
    if (a0 < b1 && b0 < a1) {
        fail(std::string(op) + ": " + name_a + " and " + name_b + " must not overlap in memory");
    }
}

}  // namespace ebmkit::detail
