// Benchmark plots: the records of ebm-bench and of its peers (bench/peers/), one PNG
// per workload, every variant (cpu-reference, cuda-fused, torch-eager, sklearn, ...)
// as a line over the batch size.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ebm::plot {

// A record's batch: the first number of its shape ("4096 rows, ...", "256 chains x
// 10 steps, ...", "batch 64, ...", "4096x10"); -1 when the shape has none.
double batch_of(const std::string& shape);
// Its line: the variant and the shape with the batch written N.
std::string series_of(const nlohmann::json& record);

// Records (objects with workload, variant, shape and median_ms) by workload.
std::map<std::string, std::vector<nlohmann::json>> by_workload(const std::vector<nlohmann::json>& records);

// The script of one workload's plot: median time per call (ms) over the batch, log-log.
std::string bench_script(const std::string& workload, const std::vector<nlohmann::json>& records,
                         const std::string& png, const std::string& subtitle);

// Draws every workload into folder/<workload>.png and returns the paths.
std::vector<std::string> plot_bench(const std::vector<nlohmann::json>& records, const std::string& folder,
                                    const std::string& subtitle);

// The records in a JSON file: an array of records, or an object whose array values
// hold records (a results file that gathers several runs).
std::vector<nlohmann::json> read_records(const std::string& path);

}  // namespace ebm::plot
