#include "interrupt.hpp"

#include <csignal>
#include <cstdio>

#include "report.hpp"

namespace ebm {

namespace {

std::atomic<bool> stop_requested{false};
std::atomic<int> stop_signal{0};
static_assert(std::atomic<bool>::is_always_lock_free && std::atomic<int>::is_always_lock_free,
              "the signal handler needs lock-free atomics");

extern "C" void request_stop(int signal) {
    stop_signal.store(signal);
    stop_requested.store(true);
}

}  // namespace

StopOnSignal::StopOnSignal() {
    stop_requested.store(false);
    stop_signal.store(0);
    std::signal(SIGINT, request_stop);
    std::signal(SIGTERM, request_stop);
}

StopOnSignal::~StopOnSignal() {
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
}

const std::atomic<bool>& StopOnSignal::flag() const { return stop_requested; }

const char* StopOnSignal::signal_name() const { return stop_signal.load() == SIGTERM ? "SIGTERM" : "SIGINT"; }

int StopOnSignal::exit_status() const { return 128 + (stop_signal.load() == SIGTERM ? SIGTERM : SIGINT); }

std::string interrupted_path(const std::string& out) {
    const std::string ext = ".safetensors";
    if (out.size() > ext.size() && out.compare(out.size() - ext.size(), ext.size(), ext) == 0) {
        return out.substr(0, out.size() - ext.size()) + ".interrupted" + ext;
    }
    return out + ".interrupted";
}

int stop_for_signal(const StopOnSignal& stop, Progress& bar, const std::string& command, const std::string& where,
                    const std::string& out, const std::function<void(const std::string&)>& save) {
    const std::string resumable = interrupted_path(out);
    save(resumable);
    bar.finish("interrupted");
    std::fprintf(stderr, "%s: %s %s; wrote %s; continue with --resume %s\n", command.c_str(), stop.signal_name(),
                 where.c_str(), resumable.c_str(), resumable.c_str());
    return stop.exit_status();
}

}  // namespace ebm
