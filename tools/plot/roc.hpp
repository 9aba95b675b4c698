// ROC curves of out-of-distribution scores (ebm jem ood, ebm rbm ood) as one PNG.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "ebmkit/ood.hpp"

namespace ebm::plot {

// One curve per (legend, points), the chance diagonal, axes from 0 to 1.
std::string roc_script(const std::vector<std::pair<std::string, std::vector<ebmkit::RocPoint>>>& curves,
                       const std::string& title, const std::string& png);
void plot_roc(const std::vector<std::pair<std::string, std::vector<ebmkit::RocPoint>>>& curves,
              const std::string& title, const std::string& png);

}  // namespace ebm::plot
