#include "roc.hpp"

#include <sstream>

#include "gnuplot.hpp"

namespace ebm::plot {

std::string roc_script(const std::vector<std::pair<std::string, std::vector<ebmkit::RocPoint>>>& curves,
                       const std::string& title, const std::string& png) {
    std::ostringstream s;
    s << preamble(png, 700, 600);
    for (std::size_t c = 0; c < curves.size(); ++c) {
        std::vector<std::vector<double>> rows;
        for (const ebmkit::RocPoint& p : curves[c].second) rows.push_back({p.fpr, p.tpr});
        s << datablock("$roc" + std::to_string(c), rows);
    }
    s << "set title " << quoted(title) << "\n"
      << "set xlabel 'false-positive rate (out-of-distribution images taken as in)'\n"
      << "set ylabel 'true-positive rate'\n"
      << "set xrange [0:1]\nset yrange [0:1]\nset size square\nset key bottom right\n"
      << "plot x with lines dt 2 lc rgb 'gray' title 'chance'";
    for (std::size_t c = 0; c < curves.size(); ++c) {
        s << ", \\\n     $roc" << c << " using 1:2 with lines lw 2 title " << quoted(curves[c].first);
    }
    s << "\n";
    return s.str();
}

void plot_roc(const std::vector<std::pair<std::string, std::vector<ebmkit::RocPoint>>>& curves,
              const std::string& title, const std::string& png) {
    render(roc_script(curves, title, png));
}

}  // namespace ebm::plot
