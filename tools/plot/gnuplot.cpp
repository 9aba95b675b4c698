#include "gnuplot.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "ebmkit/error.hpp"

extern char** environ;

namespace ebm::plot {

namespace fs = std::filesystem;

std::string quoted(const std::string& text) {
    std::string out = "'";
    for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
}

std::string datablock(const std::string& name, const std::vector<std::vector<double>>& rows) {
    std::ostringstream s;
    s.precision(9);
    s << name << " << EOD\n";
    for (const auto& row : rows) {
        for (std::size_t i = 0; i < row.size(); ++i) {
            s << (i ? " " : "");
            if (std::isfinite(row[i])) s << row[i];
            else s << "NaN";
        }
        s << "\n";
    }
    s << "EOD\n";
    return s.str();
}

std::string preamble(const std::string& png, int width, int height) {
    std::ostringstream s;
    s << "set terminal pngcairo size " << width << "," << height << " noenhanced font 'sans,10'\n"
      << "set output " << quoted(png) << "\n"
      << "set datafile missing 'NaN'\n"
      << "set grid back lc rgb '#dddddd'\n"
      << "set border 3\nset tics nomirror\n";
    return s.str();
}

bool available() {
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path ? path : "");
    for (std::string dir; std::getline(dirs, dir, ':');) {
        if (!dir.empty() && ::access((fs::path(dir) / "gnuplot").c_str(), X_OK) == 0) return true;
    }
    return false;
}

void render(const std::string& script) {
    if (!available()) {
        throw ebmkit::Error("plot: gnuplot is not installed (Debian: apt-get install gnuplot-nox); no plot drawn");
    }
    // The script and gnuplot's messages go through two temporary files ($TMPDIR or /tmp).
    const std::string folder = fs::temp_directory_path().string();
    std::string script_name = folder + "/ebm-plot-XXXXXX.gp", log_name = folder + "/ebm-plot-XXXXXX.log";
    char* script_path = script_name.data();
    char* log_path = log_name.data();
    const int script_fd = ::mkstemps(script_path, 3), log_fd = ::mkstemps(log_path, 4);
    if (script_fd < 0 || log_fd < 0) throw ebmkit::Error(std::string("plot: cannot make a temporary file: ") + std::strerror(errno));
    ::close(script_fd);
    { std::ofstream(script_path) << script; }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, log_fd, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, log_fd, STDERR_FILENO);
    char gnuplot[] = "gnuplot";
    char* argv[] = {gnuplot, script_path, nullptr};
    pid_t pid = 0;
    const int spawned = posix_spawnp(&pid, "gnuplot", &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(log_fd);
    int status = 0;
    if (spawned == 0) {
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
    }
    std::ifstream log(log_path);
    const std::string messages((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    ::unlink(script_path);
    ::unlink(log_path);
    if (spawned != 0) throw ebmkit::Error(std::string("plot: cannot run gnuplot: ") + std::strerror(spawned));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        throw ebmkit::Error("plot: gnuplot failed: " + messages);
    }
}

}  // namespace ebm::plot
