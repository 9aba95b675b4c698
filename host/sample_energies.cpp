// sample() instantiated for the shipped energies (include/ebmkit/energies.hpp declares
// these extern): compiled by nvcc where the build has CUDA (host/CMakeLists.txt), so the
// calls carry the CUDA backend for callers that g++ compiles.
#include "ebmkit/energies.hpp"

#if defined(__CUDACC__)
#include "kernels/mlp_energy_view_block.cuh"  // MlpEnergyView's block-cooperative form
#endif

namespace ebmkit {

#define EBMKIT_INSTANTIATE_SAMPLE(E) template EBMKIT_SAMPLE_OF(E)
EBMKIT_SHIPPED_ENERGIES(EBMKIT_INSTANTIATE_SAMPLE)
#undef EBMKIT_INSTANTIATE_SAMPLE

}  // namespace ebmkit
