// The ebm command's command line, through CLI11: the command tree (ebm rbm train,
// ebm jem sample, ebm plot, ...), the validators its options share, and what a
// parse selects to run.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli_checks.hpp"
#include "ebmkit/context.hpp"

namespace ebm {

// A usage error found after parsing (e.g. an option of a config file): exit status 2.
struct UsageError {
    std::string message;
};

// What a command does once its options are parsed; returns the exit status.
using Run = std::function<int()>;

// The whole command tree. Each family file registers its commands (add_*_commands).
class Cli {
public:
    Cli();
    CLI::App& app() { return app_; }
    // Parses args (without the program name): throws CLI::ParseError (help and version
    // included, see main.cpp) or UsageError; returns what the chosen command runs.
    Run parse(std::vector<std::string> args);
    // For the family files: a leaf command and what runs it.
    void add(CLI::App* command, Run run) { commands_.emplace_back(command, std::move(run)); }

private:
    CLI::App app_;
    std::vector<std::pair<CLI::App*, Run>> commands_;
};

void add_rbm_commands(Cli& cli, CLI::App& rbm);
void add_jem_commands(Cli& cli, CLI::App& jem);
void add_score_commands(Cli& cli, CLI::App& score);
// ebm jem ood, ebm rbm ood (ood_command.cpp).
void add_jem_ood_command(Cli& cli, CLI::App& jem);
void add_rbm_ood_command(Cli& cli, CLI::App& rbm);
void add_plot_command(Cli& cli);
// ebm sample: the samplers for any energy on a shipped energy, with diagnostics.
void add_sample_command(Cli& cli);

// --backend cpu|cuda|auto (default auto) into name; backend_of reads it.
void add_backend_option(CLI::App& command, std::string& name);
ebmkit::Backend backend_of(const std::string& name);
// What every train command has: --resume FILE, --log FILE, --json, --config FILE and
// --config-from CHECKPOINT.
void add_train_run_options(CLI::App& command, std::string& resume, std::string& log, bool& json);

}  // namespace ebm
