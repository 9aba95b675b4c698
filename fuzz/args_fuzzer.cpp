// libFuzzer harness: the ebm command's whole command line (tools/ebm/cli.hpp, CLI11)
// on arbitrary argument lists (newline-separated). Only the parse runs, never a
// command: every outcome is a command to run, a CLI11 parse error (help and version
// included) or a UsageError (tools/fuzz.sh).
#include <cstdint>
#include <string>
#include <vector>

#include "tools/ebm/cli.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::vector<std::string> args;
    std::string current;
    for (std::size_t i = 0; i < size; ++i) {
        if (data[i] == '\n') {
            args.push_back(current);
            current.clear();
        } else {
            current.push_back(static_cast<char>(data[i]));
        }
    }
    if (!current.empty()) args.push_back(current);
    ebm::Cli cli;
    try {
        (void)cli.parse(args);
    } catch (const CLI::ParseError&) {
    } catch (const ebm::UsageError&) {
    }
    return 0;
}
