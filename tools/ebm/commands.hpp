// The ebm command's subcommands; each takes its arguments after the subcommand
// words and returns the process exit code.
#pragma once

#include <string>
#include <vector>

namespace ebm {

int rbm_train(const std::vector<std::string>& args);
int rbm_eval(const std::vector<std::string>& args);
int rbm_sample(const std::vector<std::string>& args);
int jem_train(const std::vector<std::string>& args);
int jem_eval(const std::vector<std::string>& args);
int jem_sample(const std::vector<std::string>& args);

}  // namespace ebm
