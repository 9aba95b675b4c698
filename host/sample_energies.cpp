// sample() instantiated for the shipped energies (include/ebmkit/energies.hpp declares
// these extern): compiled by nvcc where the build has CUDA (host/CMakeLists.txt), so the
// calls carry the CUDA backend for callers that g++ compiles.
#include "ebmkit/energies.hpp"

namespace ebmkit {

#define EBMKIT_SHIPPED_ENERGY(E) \
    template SampleStats sample<E>(Context&, const E&, TensorView, const SampleParams&, Steps, bool);
EBMKIT_SHIPPED_ENERGY(GaussianEnergy)
EBMKIT_SHIPPED_ENERGY(GaussianMixtureEnergy)
EBMKIT_SHIPPED_ENERGY(DoubleWellEnergy)
EBMKIT_SHIPPED_ENERGY(BananaEnergy)
EBMKIT_SHIPPED_ENERGY(RidgeEnergy)
#undef EBMKIT_SHIPPED_ENERGY

}  // namespace ebmkit
