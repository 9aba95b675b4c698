// ebm plot LOG: the training curves of a --log file, drawn with gnuplot.
#include <cstdio>

#include "cli.hpp"
#include "epoch_log.hpp"
#include "plot/curves.hpp"

namespace ebm {

void add_plot_command(Cli& cli) {
    struct Options {
        std::string log, out;
    };
    auto a = std::make_shared<Options>();
    CLI::App* c = cli.app().add_subcommand("plot", "Draw the training curves of a --log file as a PNG");
    c->add_option("log", a->log, "A log written by ebm rbm train --log or ebm jem train --log")
        ->required()
        ->check(CLI::ExistingFile);
    c->add_option("--out", a->out, "PNG to write (default: LOG.png)");
    cli.add(c, [a] {
        const std::string out = a->out.empty() ? a->log + ".png" : a->out;
        plot::plot_curves(read_epoch_log(a->log), out);
        std::fprintf(stderr, "plot: wrote %s\n", out.c_str());
        return 0;
    });
}

}  // namespace ebm
