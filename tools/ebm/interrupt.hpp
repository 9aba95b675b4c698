// SIGINT and SIGTERM while an `ebm ... train` runs: the handler only raises a flag; the
// trainer finishes its batch, the command writes a resumable checkpoint, says where,
// and exits 128 + the signal (130, 143). The default handlers come back afterwards.
#pragma once

#include <atomic>
#include <string>

namespace ebm {

class StopOnSignal {
public:
    StopOnSignal();
    ~StopOnSignal();
    StopOnSignal(const StopOnSignal&) = delete;
    StopOnSignal& operator=(const StopOnSignal&) = delete;

    const std::atomic<bool>& flag() const;
    const char* signal_name() const;  // "SIGINT" or "SIGTERM"
    int exit_status() const;          // 128 + the signal
};

// Where an interrupted run of `out` writes its resumable checkpoint: out with
// ".interrupted" before the extension (jem.safetensors -> jem.interrupted.safetensors).
std::string interrupted_path(const std::string& out);

}  // namespace ebm
