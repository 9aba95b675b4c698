// Checks on option values that the ebm command and ebm-bench share (CLI11
// validators with messages that name the value).
#pragma once

#include <algorithm>
#include <cmath>
#include <string>

#include <CLI/CLI.hpp>

namespace ebm {

// A floating-point value that is finite (CLI11 itself reads "nan" and "inf").
inline const CLI::Validator& finite() {
    static const CLI::Validator check(
        [](std::string& text) -> std::string {
            try {
                std::size_t end = 0;
                const double v = std::stod(text, &end);
                if (end == text.size() && std::isfinite(v)) return "";
            } catch (const std::exception&) {
            }
            return "needs a finite number, got '" + text + "'";
        },
        "FINITE");
    return check;
}

// An integer of at least least; unsigned where there is no sign, so a seed may use
// all 64 bits (CLI11's own range checks print the double range in full).
inline CLI::Validator at_least(long long least) {
    return CLI::Validator(
        [least](std::string& text) -> std::string {
            try {
                std::size_t end = 0;
                const bool negative = text.find('-') != std::string::npos;
                const bool ok = negative ? least < 0 && std::stoll(text, &end) >= least
                                         : std::stoull(text, &end) >= static_cast<unsigned long long>(std::max(least, 0LL));
                if (end == text.size() && ok) return "";
            } catch (const std::exception&) {
            }
            return "needs an integer >= " + std::to_string(least) + ", got '" + text + "'";
        },
        least == 1 ? "POSITIVE" : least == 0 ? "NONNEGATIVE" : "AT LEAST " + std::to_string(least));
}

}  // namespace ebm
