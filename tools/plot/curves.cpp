#include "curves.hpp"

#include <cmath>
#include <sstream>

#include "ebmkit/error.hpp"
#include "gnuplot.hpp"

namespace ebm::plot {

namespace {

struct Series {
    const char* key;
    const char* legend;
};

struct Panel {
    const char* title;
    const char* ylabel;
    std::vector<Series> series;
};

// What the ebm command logs per epoch (tools/ebm/*_command.cpp), panel by panel.
const std::vector<Panel>& panels() {
    static const std::vector<Panel> all = {
        {"Loss and its terms", "nats per example",
         {{"loss", "loss"}, {"valid_loss", "validation loss"}, {"cross_entropy", "cross-entropy"},
          {"generative", "E(data) - E(sample)"}}},
        {"Accuracy", "fraction correct", {{"train_accuracy", "train"}, {"valid_accuracy", "validation"}}},
        {"Energies", "mean energy (nats)", {{"energy_data", "data"}, {"energy_sample", "samples"}}},
        {"Pseudo-log-likelihood", "nats per image", {{"pseudo_log_likelihood", "500 training images"}}},
        {"Learning rate", "learning rate", {{"lr", "learning rate"}}},
    };
    return all;
}

double number_at(const nlohmann::json& epoch, const char* key) {
    const auto it = epoch.find(key);
    return it != epoch.end() && it->is_number() ? it->get<double>() : NAN;
}

}  // namespace

std::string curves_script(const std::vector<nlohmann::json>& epochs, const std::string& png) {
    // A series is drawn when some epoch holds a finite value of it.
    std::vector<std::pair<const Panel*, std::vector<const Series*>>> shown;
    for (const Panel& p : panels()) {
        std::vector<const Series*> present;
        for (const Series& s : p.series) {
            for (const auto& e : epochs) {
                if (std::isfinite(number_at(e, s.key))) {
                    present.push_back(&s);
                    break;
                }
            }
        }
        if (!present.empty()) shown.emplace_back(&p, present);
    }
    if (shown.empty()) throw ebmkit::Error("plot: the log holds no epoch with a value to plot");
    const int height = 260 * static_cast<int>(shown.size());
    std::ostringstream s;
    s << preamble(png, 900, height);
    for (std::size_t p = 0; p < shown.size(); ++p) {
        std::vector<std::vector<double>> rows;
        for (std::size_t i = 0; i < epochs.size(); ++i) {
            const double epoch = number_at(epochs[i], "epoch");
            std::vector<double> row = {std::isfinite(epoch) ? epoch : static_cast<double>(i + 1)};
            for (const Series* series : shown[p].second) row.push_back(number_at(epochs[i], series->key));
            rows.push_back(std::move(row));
        }
        s << datablock("$panel" + std::to_string(p), rows);
    }
    s << "set multiplot layout " << shown.size() << ",1\n"
      << "set key outside right top vertical\n"
      << "set lmargin 12\nset rmargin 28\n"
      << "set xlabel 'epoch'\n";
    for (std::size_t p = 0; p < shown.size(); ++p) {
        const Panel& panel = *shown[p].first;
        s << "set title " << quoted(panel.title) << "\n"
          << "set ylabel " << quoted(panel.ylabel) << "\n"
          << "plot ";
        for (std::size_t k = 0; k < shown[p].second.size(); ++k) {
            s << (k ? ", \\\n     " : "") << "$panel" << p << " using 1:" << k + 2
              << " with linespoints pt 7 ps 0.6 lw 2 title " << quoted(shown[p].second[k]->legend);
        }
        s << "\n";
    }
    s << "unset multiplot\n";
    return s.str();
}

void plot_curves(const std::vector<nlohmann::json>& epochs, const std::string& png) {
    render(curves_script(epochs, png));
}

}  // namespace ebm::plot
