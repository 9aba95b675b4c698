/// @file
/// What this build of ebmkit is: its version, the revision it was configured from,
/// and whether (and for which GPU architectures) its CUDA backend was compiled.
#pragma once

#include <string>

namespace ebmkit {

/// What this build is (build_info()).
struct BuildInfo {
    std::string version;             ///< the project's version, e.g. "0.1.0"
    std::string revision;            ///< git's short revision at configure time, or "unknown"
    bool cuda = false;               ///< the CUDA backend is compiled in
    std::string cuda_version;        ///< nvcc's version, empty without CUDA
    std::string cuda_architectures;  ///< CMAKE_CUDA_ARCHITECTURES, e.g. "90", empty without CUDA
};

/// This build's BuildInfo.
const BuildInfo& build_info();

/// One line for --version: "ebmkit 0.1.0 (revision abc1234), CUDA 13.0.48 for sm_90 (SASS + PTX)"
/// or "... , CPU only (no CUDA backend)".
std::string build_summary();

}  // namespace ebmkit
