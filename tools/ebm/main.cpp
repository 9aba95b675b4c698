// ebm: train, evaluate and sample energy-based models on real data with ebmkit.
#include <cstdio>
#include <string>
#include <vector>

#include "args.hpp"
#include "commands.hpp"
#include "ebmkit/error.hpp"

namespace {

const char* usage =
    "usage: ebm rbm train  [--data DIR] [--hidden M] [--cd K | --pcd K] [--epochs N] [--batch B] [--lr X]\n"
    "                      [--lr-decay X] [--momentum X] [--weight-decay X] [--chains S] [--binarize threshold|sample]\n"
    "                      [--train-limit N] [--seed S] [--backend cpu|cuda|auto] [--out FILE] [--json]\n"
    "       ebm rbm eval   --model FILE [--data DIR] [--exact | --ais] [--ais-runs R] [--ais-steps T]\n"
    "                      [--test-limit N] [--seed S] [--backend cpu|cuda|auto] [--json]\n"
    "       ebm rbm sample --model FILE [--chains N] [--steps T] [--columns C] [--seed S] [--backend ...] [--out PNG]\n";

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> all(argv + 1, argv + argc);
    if (all.size() < 2 || all[0] != "rbm") {
        std::fputs(usage, stderr);
        return 2;
    }
    const std::vector<std::string> rest(all.begin() + 2, all.end());
    try {
        if (all[1] == "train") return ebm::rbm_train(rest);
        if (all[1] == "eval") return ebm::rbm_eval(rest);
        if (all[1] == "sample") return ebm::rbm_sample(rest);
        throw ebm::UsageError{"unknown subcommand 'rbm " + all[1] + "'"};
    } catch (const ebm::UsageError& e) {
        std::fprintf(stderr, "ebm: %s\n%s", e.message.c_str(), usage);
        return 2;
    } catch (const ebmkit::Error& e) {
        std::fprintf(stderr, "ebm: %s\n", e.what());
        return 1;
    }
}
