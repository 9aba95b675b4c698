// --log FILE: one JSON object per epoch, a line each, flushed as it is written, so a
// run can be followed with `tail -f` and drawn later with `ebm plot FILE`.
#pragma once

#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ebm {

class EpochLog {
public:
    // An empty path logs nothing. append continues a log (a resumed run).
    EpochLog(const std::string& path, bool append);
    void write(const nlohmann::ordered_json& epoch);

private:
    std::string path_;
    std::ofstream out_;
};

// --curves FILE: the chosen keys of each epoch as a CSV line (the header first), and the
// run's epochs so far redrawn to FILE.png (plot::plot_curves) after every line; a
// drawing that fails is reported, the CSV kept. An empty path writes nothing; only
// the lead rank writes.
class CurvesFile {
public:
    CurvesFile(const std::string& path, std::vector<std::string> keys, std::string command);
    void write(const nlohmann::ordered_json& epoch);

private:
    std::string path_, command_;
    std::vector<std::string> keys_;
    std::ofstream out_;
    std::vector<nlohmann::json> epochs_;
};

// The epochs of a log; a line that is not a JSON object is an ebmkit::Error naming it.
std::vector<nlohmann::json> read_epoch_log(const std::string& path);

}  // namespace ebm
