#include "cli.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "config.hpp"
#include "ebmkit/names.hpp"
#include "ebmkit/version.hpp"

namespace ebm {

Cli::Cli() : app_("ebm: train, evaluate and sample energy-based models on real data with ebmkit", "ebm") {
    app_.set_version_flag("--version", "ebm from " + ebmkit::build_summary());
    app_.require_subcommand(1);
    // Defaults are captured as text: --help shows them and a checkpoint records them.
    app_.option_defaults()->always_capture_default();
    CLI::App* rbm = app_.add_subcommand("rbm", "Bernoulli RBMs trained with CD-k or PCD-k");
    rbm->require_subcommand(1);
    add_rbm_commands(*this, *rbm);
    add_rbm_ood_command(*this, *rbm);
    CLI::App* jem = app_.add_subcommand("jem", "JEM: a classifier that is also an energy-based model");
    jem->require_subcommand(1);
    add_jem_commands(*this, *jem);
    add_jem_ood_command(*this, *jem);
    CLI::App* score = app_.add_subcommand("score", "Score-based EBMs: denoising or sliced score matching, annealed Langevin");
    score->require_subcommand(1);
    add_score_commands(*this, *score);
    add_plot_command(*this);
    add_sample_command(*this);
}

namespace {

std::string names_of_commands(const CLI::App& level) {
    std::string names;
    for (const CLI::App* a : level.get_subcommands([](const CLI::App*) { return true; }))
        names += (names.empty() ? "" : ", ") + a->get_name();
    return names;
}

// Walks the leading words through the command tree. A word that names no command
// where one is expected is a usage error naming it, checked before CLI11 parses:
// otherwise "ebm foo --help" would print the top-level help and succeed. Returns
// the deepest command named, with its path ("ebm rbm").
std::pair<const CLI::App*, std::string> command_path(const CLI::App& app, const std::vector<std::string>& given) {
    const CLI::App* level = &app;
    std::string path = "ebm";
    for (const std::string& word : given) {
        if (word.empty() || word[0] == '-') break;
        const auto subs = level->get_subcommands([](const CLI::App*) { return true; });
        if (subs.empty()) break;  // a leaf command's positional arguments
        const auto it = std::find_if(subs.begin(), subs.end(), [&](const CLI::App* a) { return a->get_name() == word; });
        if (it == subs.end())
            throw UsageError{"unknown command '" + path + " " + word + "'; " + path + " has " + names_of_commands(*level)};
        level = *it;
        path += " " + word;
    }
    return {level, path};
}

}  // namespace

Run Cli::parse(std::vector<std::string> args) {
    const auto [level, path] = command_path(app_, args);
    std::reverse(args.begin(), args.end());  // CLI11 takes a vector in reverse order
    try {
        app_.parse(args);
    } catch (const CLI::RequiredError&) {
        // "A subcommand is required": say which ones there are.
        if (!level->get_subcommands([](const CLI::App*) { return true; }).empty())
            throw UsageError{path + " needs a command: " + names_of_commands(*level) + " (" + path + " --help)"};
        throw;
    }
    for (auto& [command, run] : commands_) {
        if (command->parsed()) return run;
    }
    throw UsageError{"no command given"};  // require_subcommand makes this unreachable
}

void add_backend_option(CLI::App& command, std::string& name) {
    command.add_option("--backend", name, "Where to run: the GPU when present (auto), or cpu or cuda")
        ->check(CLI::IsMember(ebmkit::names_of<ebmkit::Backend>()));
}

ebmkit::Backend backend_of(const std::string& name) {
    const std::optional<ebmkit::Backend> backend = ebmkit::value_named<ebmkit::Backend>(name);
    if (!backend) throw UsageError{"--backend: unknown backend '" + name + "'"};  // IsMember checked it
    return *backend;
}

void add_train_run_options(CLI::App& command, std::string& resume, std::string& log, bool& json) {
    command.add_option("--resume", resume, "Continue from a checkpoint (bit for bit)")->check(CLI::ExistingFile);
    command.add_option("--log", log, "One JSON line per epoch to FILE (ebm plot FILE draws it)");
    command.add_flag("--json", json, "Print a JSON summary on stdout");
    add_config_options(command);
}

}  // namespace ebm
