// ebmkit::Error: every failure the library reports, from a rejected argument to a
// CUDA error. Messages name the argument and the offending value or shape.
#pragma once

#include <stdexcept>
#include <string>

namespace ebmkit {

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace ebmkit
