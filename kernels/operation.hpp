// The interface of a launch operation, after CUTLASS's device-level operators: the
// launch's inputs in one Arguments struct (named fields, not a positional list), and
//   static Status can_implement(const Arguments&)        whether it runs them on the
//                                                        current device, else why not
//                                                        (the caller takes another path)
//   static std::size_t workspace_bytes(const Arguments&)  the device scratch run needs
//   static void run(const Arguments&, void* workspace, CUstream_st* stream)
// Operations so far: GibbsChain (kernels/rbm.hpp), TemperingSweeps (kernels/tempering.hpp),
// FusedLangevinChain (kernels/langevin_chain.hpp), LangevinPropose and MalaAccept
// (kernels/langevin.hpp), FusedMlpEnergy and FusedMlpParamGrad (kernels/mlp_fused.hpp),
// FusedJemGrad (kernels/jem.hpp), ReplayDraw and ReplayStore (kernels/sampler.hpp),
// FusedDenoisingScore, UnfusedDenoisingScore and SlicedScore (kernels/score.hpp).
// Plain C++: host/ includes it without CUDA headers.
#pragma once

#include <cstddef>

namespace ebmkit::kernels {

struct Status {
    const char* why = nullptr;  // null: the operation can run the arguments
    explicit operator bool() const { return why == nullptr; }
};

// A workspace carved into float buffers in order, each starting on a 256-byte boundary:
// take(n) gives the next buffer's offset in floats, total() the floats of all.
class WorkspaceCarver {
public:
    std::size_t take(std::size_t floats) {
        const std::size_t here = at_;
        at_ += (floats + 63) / 64 * 64;
        return here;
    }
    std::size_t total() const { return at_; }

private:
    std::size_t at_ = 0;
};

}  // namespace ebmkit::kernels
