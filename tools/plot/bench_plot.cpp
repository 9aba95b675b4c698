#include "bench_plot.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "ebmkit/error.hpp"
#include "gnuplot.hpp"

namespace ebm::plot {

namespace {

// [begin, end) of the shape's first run of digits.
std::pair<std::size_t, std::size_t> first_number(const std::string& shape) {
    const auto begin = std::find_if(shape.begin(), shape.end(), [](unsigned char c) { return std::isdigit(c); });
    const auto end = std::find_if(begin, shape.end(), [](unsigned char c) { return !std::isdigit(c); });
    return {static_cast<std::size_t>(begin - shape.begin()), static_cast<std::size_t>(end - shape.begin())};
}

std::string text_at(const nlohmann::json& record, const char* key) {
    const auto it = record.find(key);
    return it != record.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

double batch_of(const std::string& shape) {
    const auto [begin, end] = first_number(shape);
    return begin == end ? -1.0 : std::stod(shape.substr(begin, end - begin));
}

std::string series_of(const nlohmann::json& record) {
    std::string shape = text_at(record, "shape");
    const auto [begin, end] = first_number(shape);
    if (begin != end) shape.replace(begin, end - begin, "N");
    return text_at(record, "variant") + ": " + shape;
}

std::map<std::string, std::vector<nlohmann::json>> by_workload(const std::vector<nlohmann::json>& records) {
    std::map<std::string, std::vector<nlohmann::json>> out;
    for (const auto& r : records) {
        if (!r.is_object() || !r.contains("workload") || !r.contains("median_ms") || !r["median_ms"].is_number()) continue;
        out[text_at(r, "workload")].push_back(r);
    }
    return out;
}

std::string bench_script(const std::string& workload, const std::vector<nlohmann::json>& records,
                         const std::string& png, const std::string& subtitle) {
    // One datablock per line, its points sorted by batch.
    std::map<std::string, std::vector<std::vector<double>>> lines;
    for (const auto& r : records) {
        const double batch = batch_of(text_at(r, "shape")), ms = r.at("median_ms").get<double>();
        if (batch > 0 && ms > 0) lines[series_of(r)].push_back({batch, ms});
    }
    if (lines.empty()) throw ebmkit::Error("plot: workload " + workload + " has no timing to plot");
    std::ostringstream s;
    s << preamble(png, 1000, 420 + 18 * static_cast<int>(lines.size()));
    int k = 0;
    for (auto& [name, points] : lines) {
        std::sort(points.begin(), points.end());
        s << datablock("$line" + std::to_string(k++), points);
    }
    s << "set title " << quoted(workload + (subtitle.empty() ? "" : " (" + subtitle + ")")) << "\n"
      << "set xlabel 'batch N (rows, chains or examples per call)'\n"
      << "set ylabel 'median time per call (ms)'\n"
      << "set logscale xy 2\nset format y '%g'\nset format x '%g'\n"
      << "set offsets graph 0.05, graph 0.05, 0, 0\n"
      << "set key below left vertical maxrows " << std::max<std::size_t>(1, (lines.size() + 1) / 2) << "\n"
      << "plot ";
    k = 0;
    for (const auto& [name, points] : lines) {
        s << (k ? ", \\\n     " : "") << "$line" << k << " using 1:2 with linespoints pt 7 ps 0.8 lw 2 title "
          << quoted(name);
        ++k;
    }
    s << "\n";
    return s.str();
}

std::vector<std::string> plot_bench(const std::vector<nlohmann::json>& records, const std::string& folder,
                                    const std::string& subtitle) {
    std::filesystem::create_directories(folder);
    std::vector<std::string> written;
    for (const auto& [workload, rs] : by_workload(records)) {
        const std::string png = (std::filesystem::path(folder) / (workload + ".png")).string();
        render(bench_script(workload, rs, png, subtitle));
        written.push_back(png);
    }
    return written;
}

std::vector<nlohmann::json> read_records(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw ebmkit::Error("plot: cannot read " + path);
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
        throw ebmkit::Error("plot: " + path + " is not JSON: " + e.what());
    }
    std::vector<nlohmann::json> out;
    auto take = [&](const nlohmann::json& array) {
        for (const auto& r : array) {
            if (r.is_object()) out.push_back(r);
        }
    };
    if (doc.is_array()) take(doc);
    if (doc.is_object()) {
        for (const auto& [key, value] : doc.items()) {
            if (value.is_array()) take(value);
        }
    }
    return out;
}

}  // namespace ebm::plot
