#include "args.hpp"

#include <cmath>

namespace ebm {

Args::Args(const std::vector<std::string>& argv, const std::set<std::string>& switches) {
    for (std::size_t i = 0; i < argv.size(); ++i) {
        const std::string& a = argv[i];
        if (a.rfind("--", 0) != 0) throw UsageError{"unexpected argument '" + a + "'"};
        const std::string name = a.substr(2);
        if (values_.count(name)) throw UsageError{"--" + name + " given twice"};
        if (switches.count(name)) {
            values_[name] = "";
        } else {
            if (i + 1 >= argv.size()) throw UsageError{"--" + name + " needs a value"};
            values_[name] = argv[++i];
        }
    }
}

std::string Args::text(const std::string& name, const std::string& fallback) {
    used_.insert(name);
    const auto it = values_.find(name);
    return it == values_.end() ? fallback : it->second;
}

std::int64_t Args::integer(const std::string& name, std::int64_t fallback) {
    const std::string v = text(name, "");
    if (v.empty()) return fallback;
    std::size_t end = 0;
    long long x = 0;
    try {
        x = std::stoll(v, &end);
    } catch (...) {
        end = 0;
    }
    if (end != v.size()) throw UsageError{"--" + name + " needs an integer, got '" + v + "'"};
    return x;
}

double Args::number(const std::string& name, double fallback) {
    const std::string v = text(name, "");
    if (v.empty()) return fallback;
    std::size_t end = 0;
    double x = 0;
    try {
        x = std::stod(v, &end);
    } catch (...) {
        end = 0;
    }
    if (end != v.size() || !std::isfinite(x)) throw UsageError{"--" + name + " needs a finite number, got '" + v + "'"};
    return x;
}

bool Args::has(const std::string& name) {
    used_.insert(name);
    return values_.count(name) > 0;
}

ebmkit::Backend Args::backend() {
    const std::string b = text("backend", "auto");
    if (b == "auto") return ebmkit::Backend::Auto;
    if (b == "cpu") return ebmkit::Backend::Cpu;
    if (b == "cuda") return ebmkit::Backend::Cuda;
    throw UsageError{"--backend must be cpu, cuda or auto, got '" + b + "'"};
}

void Args::finish() const {
    for (const auto& [name, value] : values_) {
        if (!used_.count(name)) throw UsageError{"unknown flag --" + name};
    }
}

}  // namespace ebm
