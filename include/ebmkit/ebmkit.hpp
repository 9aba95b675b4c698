// The whole public API.
#pragma once

#include "ebmkit/checkpoint.hpp"
#include "ebmkit/context.hpp"
#include "ebmkit/data.hpp"
#include "ebmkit/error.hpp"
#include "ebmkit/jem.hpp"
#include "ebmkit/langevin.hpp"
#include "ebmkit/logsumexp.hpp"
#include "ebmkit/mlp.hpp"
#include "ebmkit/optim.hpp"
#include "ebmkit/philox.hpp"
#include "ebmkit/png.hpp"
#include "ebmkit/rbm.hpp"
#include "ebmkit/rbm_trainer.hpp"
#include "ebmkit/safetensors.hpp"
#include "ebmkit/sampler.hpp"
#include "ebmkit/tensor.hpp"
