#include "epoch_log.hpp"

#include <cstdio>

#include "ebmkit/error.hpp"
#include "plot/curves.hpp"

namespace ebm {

EpochLog::EpochLog(const std::string& path, bool append) : path_(path) {
    if (path.empty()) return;
    out_.open(path, append ? std::ios::app : std::ios::trunc);
    if (!out_) throw ebmkit::Error("--log: cannot write " + path);
}

void EpochLog::write(const nlohmann::ordered_json& epoch) {
    if (path_.empty()) return;
    out_ << epoch.dump() << std::endl;  // endl flushes: the line is there for tail -f
    if (!out_) throw ebmkit::Error("--log: writing " + path_ + " failed");
}

std::vector<nlohmann::json> read_epoch_log(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw ebmkit::Error("plot: cannot read " + path);
    std::vector<nlohmann::json> epochs;
    int number = 0;
    for (std::string line; std::getline(in, line);) {
        ++number;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        try {
            nlohmann::json epoch = nlohmann::json::parse(line);
            if (!epoch.is_object()) throw ebmkit::Error("");
            epochs.push_back(std::move(epoch));
        } catch (const std::exception&) {
            throw ebmkit::Error("plot: " + path + " line " + std::to_string(number) + " is not a JSON object");
        }
    }
    if (epochs.empty()) throw ebmkit::Error("plot: " + path + " holds no epoch");
    return epochs;
}

CurvesFile::CurvesFile(const std::string& path, std::vector<std::string> keys, std::string command)
    : path_(path), command_(std::move(command)), keys_(std::move(keys)) {
    if (path_.empty()) return;
    out_.open(path_);
    if (!out_) throw ebmkit::Error("cannot write " + path_);
    for (std::size_t k = 0; k < keys_.size(); ++k) out_ << (k ? "," : "") << keys_[k];
    out_ << "\n";
}

void CurvesFile::write(const nlohmann::ordered_json& epoch) {
    if (path_.empty()) return;
    for (std::size_t k = 0; k < keys_.size(); ++k) {
        out_ << (k ? "," : "");
        const auto& v = epoch.at(keys_[k]);
        if (v.is_number_integer()) out_ << v.get<long long>();
        else out_ << v.get<double>();
    }
    out_ << std::endl;
    epochs_.push_back(epoch);
    try {
        plot::plot_curves(epochs_, path_ + ".png");
    } catch (const ebmkit::Error& failed) {  // the CSV still holds the curves
        std::fprintf(stderr, "%s: %s\n", command_.c_str(), failed.what());
    }
}

}  // namespace ebm
