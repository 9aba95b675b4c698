#include "config.hpp"

#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "ebmkit/error.hpp"
#include "ebmkit/safetensors.hpp"

namespace ebm {

namespace {

using nlohmann::json;

const std::set<std::string>& not_recorded() {
    static const std::set<std::string> names = {"help", "config", "config-from", "resume", "out", "curves", "log"};
    return names;
}

std::string name_of(const CLI::Option& o) { return o.get_lnames().empty() ? o.get_name() : o.get_lnames()[0]; }

bool is_switch(const CLI::Option& o) { return o.get_expected_max() == 0; }  // a flag takes no value

// The config's JSON and where it came from, for messages.
std::pair<json, std::string> load(const CLI::App& command) {
    std::string text, source;
    if (const CLI::Option* file = command.get_option("--config"); file->count()) {
        source = file->as<std::string>();
        std::ifstream in(source);
        if (!in) throw UsageError{"--config: cannot read " + source};
        text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    } else if (const CLI::Option* from = command.get_option("--config-from"); from->count()) {
        source = from->as<std::string>();
        const auto metadata = ebmkit::load_safetensors(source).metadata;
        const auto it = metadata.find(config_key);
        if (it == metadata.end()) throw UsageError{"--config-from: " + source + " records no configuration"};
        text = it->second;
    } else {
        return {json(), ""};
    }
    try {
        json config = json::parse(text);
        if (!config.is_object()) throw UsageError{"config " + source + ": not a JSON object of options"};
        return {std::move(config), source};
    } catch (const json::exception& e) {
        throw UsageError{"config " + source + ": not JSON: " + e.what()};
    }
}

}  // namespace

void add_config_options(CLI::App& command) {
    CLI::Option* file = command.add_option("--config", "Options from a JSON file (the command line wins)")
                            ->type_name("FILE")
                            ->check(CLI::ExistingFile);
    CLI::Option* from = command.add_option("--config-from", "Repeat a run: the options recorded in its checkpoint")
                            ->type_name("CHECKPOINT")
                            ->check(CLI::ExistingFile);
    file->excludes(from);
}

void apply_config(CLI::App& command) {
    const auto [config, source] = load(command);
    if (config.is_null()) return;
    for (const auto& [key, value] : config.items()) {
        CLI::Option* option = command.get_option_no_throw("--" + key);
        if (!option || not_recorded().count(key)) {
            throw UsageError{"config " + source + ": \"" + key + "\" is not an option of " + command.get_name() +
                             " a config can set"};
        }
        if (option->count()) continue;  // given on the command line
        std::string text;
        if (value.is_string()) text = value.get<std::string>();
        else if (value.is_boolean()) text = value.get<bool>() ? "true" : "false";
        else if (value.is_number()) text = value.dump();
        else throw UsageError{"config " + source + ": \"" + key + "\" must be a number, a string or true/false"};
        if (is_switch(*option) && text == "false") continue;
        option->add_result(text);
        option->run_callback();  // the option's checks, then its variable
    }
    for (const CLI::Option* option : command.get_options()) {
        if (!option->count()) continue;
        for (const CLI::Option* other : option->get_excludes()) {
            if (other->count()) throw UsageError{"--" + name_of(*option) + " excludes --" + name_of(*other)};
        }
    }
}

std::string recorded_config(const CLI::App& command) {
    nlohmann::ordered_json config = nlohmann::ordered_json::object();
    for (const CLI::Option* option : command.get_options()) {
        const std::string name = name_of(*option);
        if (not_recorded().count(name) || name == "version") continue;
        if (is_switch(*option)) {
            config[name] = option->count() > 0 && option->as<bool>();
            continue;
        }
        std::string text;
        if (option->count()) {
            // A list option's values as given, comma-separated (--classes 0,1,2).
            for (const std::string& value : option->results()) text += (text.empty() ? "" : ",") + value;
        } else if (!option->get_default_str().empty() && option->get_default_str() != "[]") {
            text = option->get_default_str();
        } else {
            continue;  // an optional value not given (e.g. --cd when --pcd is), an empty list
        }
        // Numbers stay numbers, so the file reads as one a person would write.
        const std::string type = option->get_type_name();
        if (type.rfind("INT", 0) == 0 || type.rfind("UINT", 0) == 0 || type.rfind("FLOAT", 0) == 0) {
            try {
                config[name] = nlohmann::ordered_json::parse(text);
                continue;
            } catch (const nlohmann::json::exception&) {
            }
        }
        config[name] = text;
    }
    return config.dump();
}

}  // namespace ebm
