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
    "                      [--train-limit N] [--seed S] [--backend cpu|cuda|auto] [--out FILE] [--resume FILE] [--json]\n"
    "       ebm rbm eval   --model FILE [--data DIR] [--exact | --ais] [--ais-runs R] [--ais-steps T]\n"
    "                      [--test-limit N] [--seed S] [--backend cpu|cuda|auto] [--json]\n"
    "       ebm rbm sample --model FILE [--chains N] [--steps T] [--columns C] [--seed S] [--backend ...] [--out PNG]\n"
    "       ebm jem train  [--data DIR] [--widths 784,256,256,10] [--activation elu] [--epochs N] [--batch 64]\n"
    "                      [--optimizer sgd|adam|adamax] [--lr X] [--weight-decay X] [--sgld-steps 20] [--sgld-alpha 1]\n"
    "                      [--sgld-sigma 0.01] [--buffer 10000] [--reinit 0.05] [--clf-weight 1] [--gen-weight 1]\n"
    "                      [--energy-l2 0] [--class-conditional] [--train-limit N] [--valid 5000] [--patience P] [--seed S] [--backend ...]\n"
    "                      [--out FILE] [--curves CSV] [--resume FILE] [--json]\n"
    "       ebm jem eval   --model FILE [--data DIR] [--backend ...] [--json]\n"
    "       ebm jem sample --model FILE [--count 64 | --per-class] [--steps 200] [--seed S] [--backend ...] [--out PNG]\n";

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> all(argv + 1, argv + argc);
    if (all.size() < 2 || (all[0] != "rbm" && all[0] != "jem")) {
        std::fputs(usage, stderr);
        return 2;
    }
    const std::vector<std::string> rest(all.begin() + 2, all.end());
    try {
        const bool rbm = all[0] == "rbm";
        if (all[1] == "train") return rbm ? ebm::rbm_train(rest) : ebm::jem_train(rest);
        if (all[1] == "eval") return rbm ? ebm::rbm_eval(rest) : ebm::jem_eval(rest);
        if (all[1] == "sample") return rbm ? ebm::rbm_sample(rest) : ebm::jem_sample(rest);
        throw ebm::UsageError{"unknown subcommand '" + all[0] + " " + all[1] + "'"};
    } catch (const ebm::UsageError& e) {
        std::fprintf(stderr, "ebm: %s\n%s", ebmkit::printable(e.message).c_str(), usage);
        return 2;
    } catch (const ebmkit::Error& e) {
        std::fprintf(stderr, "ebm: %s\n", e.what());
        return 1;
    }
}
