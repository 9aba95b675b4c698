#include "ebmkit/version.hpp"

#include <sstream>

// Set by host/CMakeLists.txt for this file only (the CUDA ones in a CUDA build only).
#ifndef EBMKIT_VERSION
#define EBMKIT_VERSION "unknown"
#endif
#ifndef EBMKIT_GIT_REVISION
#define EBMKIT_GIT_REVISION "unknown"
#endif

namespace ebmkit {

const BuildInfo& build_info() {
#ifdef EBMKIT_CUDA_VERSION
    static const BuildInfo info{EBMKIT_VERSION, EBMKIT_GIT_REVISION, true, EBMKIT_CUDA_VERSION,
                                EBMKIT_CUDA_ARCHITECTURES};
#else
    static const BuildInfo info{EBMKIT_VERSION, EBMKIT_GIT_REVISION, false, "", ""};
#endif
    return info;
}

std::string build_summary() {
    const BuildInfo& b = build_info();
    std::ostringstream s;
    s << "ebmkit " << b.version << " (revision " << b.revision << "), ";
    if (!b.cuda) {
        s << "CPU only (no CUDA backend)";
        return s.str();
    }
    // CMake's list "90;100" or "90-real": sm_XX SASS, plus PTX unless "-real".
    s << "CUDA " << b.cuda_version << " for";
    std::stringstream archs(b.cuda_architectures);
    for (std::string a; std::getline(archs, a, ';');) {
        const bool real = a.size() > 5 && a.compare(a.size() - 5, 5, "-real") == 0;
        const bool virt = a.size() > 8 && a.compare(a.size() - 8, 8, "-virtual") == 0;
        const std::string number = a.substr(0, a.find('-'));
        s << " sm_" << number << (real ? " (SASS)" : virt ? " (PTX)" : " (SASS + PTX)");
    }
    return s.str();
}

}  // namespace ebmkit
