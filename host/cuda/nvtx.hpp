// An NVTX range around each CUDA operation's launches (host/cuda/FAMILY.cpp), so that
// Nsight Systems shows ebmkit's work by operation ("ebmkit.mlp.energy", ...). Without a
// profiler attached NVTX does nothing (the push and pop return at once).
#pragma once

#include <nvtx3/nvToolsExt.h>

namespace ebmkit::detail {

class NvtxRange {
public:
    explicit NvtxRange(const char* name) { nvtxRangePushA(name); }
    ~NvtxRange() { nvtxRangePop(); }
    NvtxRange(const NvtxRange&) = delete;
    NvtxRange& operator=(const NvtxRange&) = delete;
};

}  // namespace ebmkit::detail
