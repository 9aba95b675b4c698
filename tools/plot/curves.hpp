// Training curves: a run's epochs (the JSON objects of its --log, one per epoch) as
// one PNG of stacked panels with axes, titles, units and legends.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ebm::plot {

// The gnuplot script that draws epochs into png: one panel for each group of keys
// the epochs hold (loss and its terms, accuracy on train and validation, energies of
// data and samples, pseudo-log-likelihood, learning rate), "epoch" on every x axis.
// Throws ebmkit::Error when no epoch holds a key a panel plots.
std::string curves_script(const std::vector<nlohmann::json>& epochs, const std::string& png);

// Draws the curves (render(curves_script(...))).
void plot_curves(const std::vector<nlohmann::json>& epochs, const std::string& png);

}  // namespace ebm::plot
