// Output of the ebm command: a progress bar on a terminal (one line per stage
// elsewhere) and a flat JSON object for --json.
#pragma once

#include <chrono>
#include <cstdint>
#include <sstream>
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

class JsonObject {
public:
    JsonObject& add(const std::string& key, const std::string& value);
    JsonObject& add(const std::string& key, const char* value) { return add(key, std::string(value)); }
    JsonObject& add(const std::string& key, double value);
    JsonObject& add(const std::string& key, std::int64_t value);
    std::string str() const { return "{" + body_.str() + "}"; }

private:
    void key(const std::string& k);
    std::ostringstream body_;
    bool first_ = true;
};

double seconds_since(std::chrono::steady_clock::time_point start);

}  // namespace ebm
