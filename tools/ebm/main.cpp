// ebm: train, evaluate and sample energy-based models on real data with ebmkit.
// Exit status: 0 on success (--help and --version included), 1 when the work
// fails (a missing file, a diverged run), 2 on a usage error, 128 + signal when
// a training run stops on SIGINT or SIGTERM.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "cli.hpp"
#include "ranks.hpp"
#include "ebmkit/error.hpp"

int main(int argc, char** argv) {
    ebm::Cli cli;
    try {
        const ebm::Run run = cli.parse(std::vector<std::string>(argv + 1, argv + argc));
        return run();
    } catch (const CLI::Success& e) {  // --help, --version: on stdout
        return cli.app().exit(e, std::cout, std::cerr);
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "ebm: %s\nRun with --help for more information.\n", ebmkit::printable(e.what()).c_str());
        return 2;
    } catch (const ebm::UsageError& e) {
        std::fprintf(ebm::error_stream(), "ebm: %s%s\n", ebm::error_prefix().c_str(),
                     ebmkit::printable(e.message).c_str());
        return ebm::end_job(2);
    } catch (const ebmkit::Error& e) {
        std::fprintf(ebm::error_stream(), "ebm: %s%s\n", ebm::error_prefix().c_str(), e.what());
        return ebm::end_job(1);
    }
}
