#include "epoch_log.hpp"

#include "ebmkit/error.hpp"

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

}  // namespace ebm
