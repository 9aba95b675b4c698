// SIGINT and SIGTERM while an `ebm ... train` runs: the handler only raises a flag; the
// trainer finishes its batch, the command writes a resumable checkpoint, says where,
// and exits 128 + the signal (130, 143). The default handlers come back afterwards.
#pragma once

#include <atomic>
#include <functional>
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

class Progress;

// What a train command does when a signal stopped its epoch: save(interrupted_path(out)),
// the bar finished "interrupted", a line "COMMAND: SIGNAL WHERE; wrote FILE; continue with
// --resume FILE" on stderr; returns the exit status (128 + the signal).
int stop_for_signal(const StopOnSignal& stop, Progress& bar, const std::string& command, const std::string& where,
                    const std::string& out, const std::function<void(const std::string&)>& save);

}  // namespace ebm
