// Command-line flags for the ebm command: --name value pairs and bare --switches,
// each read at most once; leftovers are reported as unknown.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "ebmkit/context.hpp"

namespace ebm {

class Args {
public:
    // switches: flags that take no value.
    Args(const std::vector<std::string>& argv, const std::set<std::string>& switches);
    std::string text(const std::string& name, const std::string& fallback);
    std::int64_t integer(const std::string& name, std::int64_t fallback);
    double number(const std::string& name, double fallback);
    bool has(const std::string& name);
    // --backend cpu|cuda|auto (default auto).
    ebmkit::Backend backend();
    // Throws UsageError when a flag was given that no one read.
    void finish() const;

private:
    std::map<std::string, std::string> values_;
    std::set<std::string> used_;
};

struct UsageError {
    std::string message;
};

}  // namespace ebm
