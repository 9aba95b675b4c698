// Output of the ebm command: a progress bar on a terminal (one line per stage
// elsewhere). The --json summaries are nlohmann::ordered_json objects.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace ebm {

class Progress {
public:
    explicit Progress(std::string label);
    void update(std::int64_t done, std::int64_t total);
    void finish(const std::string& summary);

private:
    std::string label_;
    bool tty_;
    std::chrono::steady_clock::time_point start_;
};

double seconds_since(std::chrono::steady_clock::time_point start);

}  // namespace ebm
