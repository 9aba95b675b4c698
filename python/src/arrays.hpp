// Arrays from Python (anything nanobind's ndarray takes: NumPy, PyTorch, CuPy, any
// __dlpack__ object) as ebmkit views, without a copy: float32 or int32, C-contiguous,
// on the host or a CUDA device. Anything else is refused naming the argument.
#pragma once

#include <nanobind/ndarray.h>

#include "ebmkit/tensor.hpp"

namespace ebmkit::python {

using Array = nanobind::ndarray<>;

// The view of a; name is the argument's, for messages (TypeError for the element
// type, ValueError for layout and rank).
ConstTensorView in(const Array& a, const char* name);
TensorView out(const Array& a, const char* name);

// A view of ebmkit's memory for Python, kept alive by owner: a NumPy array on the
// host, a DLPack-capable array (__dlpack__) on a device.
nanobind::object exported(ConstTensorView v, nanobind::handle owner);

}  // namespace ebmkit::python
