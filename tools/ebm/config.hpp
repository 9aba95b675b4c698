// A train command's configuration as JSON (nlohmann-json): read from --config FILE
// or from a checkpoint (--config-from), and recorded in every checkpoint it writes,
// so a run can be repeated from the checkpoint alone.
//
// The JSON is one object, option name (without "--") to value: numbers, strings,
// true / false for switches. The command line wins over the file.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace ebm {

// The checkpoint metadata key that holds a run's configuration.
inline constexpr const char* config_key = "config";

// Registers --config FILE and --config-from CHECKPOINT (one or the other) on command.
void add_config_options(CLI::App& command);

// After parsing: every option of command not given on the command line takes its
// value from the config, through the option's own checks. A key that names no option
// of command, or an option the config cannot set, is a UsageError, as is an
// exclusion (--cd with --pcd) the config breaks.
void apply_config(CLI::App& command);

// The configuration of command as parsed: every option given or with a default, but
// the ones that name where this run reads or writes its files (--config, --config-from,
// --resume, --out, --curves, --log), which a repeat chooses anew.
std::string recorded_config(const CLI::App& command);

}  // namespace ebm
