// libFuzzer harness: the ebm command's argument parsing (tools/ebm/args.cpp) on
// arbitrary argument lists (newline-separated), read as `ebm jem train` reads them:
// every outcome is a value or a UsageError (tools/fuzz.sh).
#include <cstdint>
#include <string>
#include <vector>

#include "tools/ebm/args.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::vector<std::string> argv;
    std::string current;
    for (std::size_t i = 0; i < size; ++i) {
        if (data[i] == '\n') {
            argv.push_back(current);
            current.clear();
        } else {
            current.push_back(static_cast<char>(data[i]));
        }
    }
    if (!current.empty()) argv.push_back(current);
    try {
        ebm::Args args(argv, {"json", "class-conditional"});
        (void)args.text("data", "");
        (void)args.integer("epochs", 1);
        (void)args.integer("batch", 64);
        (void)args.number("lr", 1e-3);
        (void)args.number("sgld-sigma", 0.01);
        (void)args.has("json");
        (void)args.backend();
        args.finish();
    } catch (const ebm::UsageError&) {
    }
    return 0;
}
