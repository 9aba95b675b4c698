/// @file
/// ebmkit::Error: every failure the library reports, from a rejected argument to a
/// CUDA error. Messages name the argument and the offending value or shape, and hold
/// only printable text: bytes that came from a file or an argument are escaped.
#pragma once

#include <cstdio>
#include <stdexcept>
#include <string>

namespace ebmkit {

/// text with every byte outside printable ASCII (newlines and tabs aside) written as a
/// hexadecimal escape, backslash x and two digits.
inline std::string printable(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        const auto b = static_cast<unsigned char>(c);
        if ((b >= 0x20 && b < 0x7f) || b == '\n' || b == '\t') {
            out += c;
        } else {
            char hex[5];
            std::snprintf(hex, sizeof hex, "\\x%02x", b);
            out += hex;
        }
    }
    return out;
}

/// What every rejected call throws: its message names the argument and the offending shape or value (printable text only).
class Error : public std::runtime_error {
public:
    /// The message, with unprintable bytes escaped (printable()).
    explicit Error(const std::string& what) : std::runtime_error(printable(what)) {}
};

}  // namespace ebmkit
