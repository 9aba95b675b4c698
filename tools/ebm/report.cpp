#include "report.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace ebm {

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

Progress::Progress(std::string label)
    : label_(std::move(label)), tty_(isatty(STDERR_FILENO)), start_(std::chrono::steady_clock::now()) {}

void Progress::update(std::int64_t done, std::int64_t total) {
    if (!tty_) return;
    constexpr int width = 30;
    const int filled = static_cast<int>(width * done / std::max<std::int64_t>(total, 1));
    std::fprintf(stderr, "\r%s [%s%s] %lld/%lld %.0fs", label_.c_str(), std::string(filled, '#').c_str(),
                 std::string(width - filled, ' ').c_str(), static_cast<long long>(done), static_cast<long long>(total),
                 seconds_since(start_));
    std::fflush(stderr);
}

void Progress::finish(const std::string& summary) {
    std::fprintf(stderr, "%s%s: %s (%.1fs)\n", tty_ ? "\r\033[K" : "", label_.c_str(), summary.c_str(),
                 seconds_since(start_));
}

}  // namespace ebm
