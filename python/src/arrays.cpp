#include "arrays.hpp"

#include <string>

namespace nb = nanobind;

namespace ebmkit::python {

namespace {

TensorView view(const Array& a, const char* name) {
    const std::string what = std::string(name) + ": ";
    DType dtype;
    const nb::dlpack::dtype t = a.dtype();
    if (t == nb::dtype<float>()) dtype = DType::F32;
    else if (t == nb::dtype<std::int32_t>()) dtype = DType::I32;
    else throw nb::type_error((what + "ebmkit takes float32 or int32 arrays; convert it first").c_str());
    Device device;
    if (a.device_type() == nb::device::cpu::value) device = Device::Host;
    else if (a.device_type() == nb::device::cuda::value) device = Device::Cuda;
    else throw nb::value_error((what + "the array is on a device ebmkit does not run on").c_str());
    const std::size_t rank = a.ndim();
    if (rank < 1 || rank > static_cast<std::size_t>(Shape::max_rank)) {
        throw nb::value_error((what + "rank " + std::to_string(rank) + "; ebmkit takes ranks 1 to 4").c_str());
    }
    // C-contiguous: strides (in elements) are the suffix products of the shape; a
    // dimension of size 1 may have any stride, and so may every dimension of an empty
    // array (NumPy 2 exports an empty one with strides of its own).
    std::int64_t expected = 1;
    std::int64_t dims[4] = {};
    bool empty = false;
    for (std::size_t i = 0; i < rank; ++i) empty = empty || a.shape(i) == 0;
    for (std::size_t i = rank; i-- > 0;) {
        dims[i] = static_cast<std::int64_t>(a.shape(i));
        if (!empty && dims[i] != 1 && a.stride(i) != expected) {
            throw nb::value_error((what + "the array is not C-contiguous (call .contiguous() or np.ascontiguousarray)").c_str());
        }
        expected *= dims[i];
    }
    Shape shape;
    switch (rank) {
        case 1: shape = Shape{dims[0]}; break;
        case 2: shape = Shape{dims[0], dims[1]}; break;
        case 3: shape = Shape{dims[0], dims[1], dims[2]}; break;
        default: shape = Shape{dims[0], dims[1], dims[2], dims[3]};
    }
    return TensorView(const_cast<void*>(a.data()), shape, dtype, device);
}

}  // namespace

ConstTensorView in(const Array& a, const char* name) { return view(a, name); }
TensorView out(const Array& a, const char* name) { return view(a, name); }

nb::object exported(ConstTensorView v, nb::handle owner) {
    std::size_t shape[4] = {};
    for (int i = 0; i < v.rank(); ++i) shape[i] = static_cast<std::size_t>(v.dim(i));
    const nb::dlpack::dtype dtype = v.dtype() == DType::F32 ? nb::dtype<float>() : nb::dtype<std::int32_t>();
    const int device = v.device() == Device::Host ? nb::device::cpu::value : nb::device::cuda::value;
    int device_id = 0;
    void* data = const_cast<void*>(v.raw());
    const auto rank = static_cast<std::size_t>(v.rank());
    if (v.device() == Device::Host) {
        return nb::cast(nb::ndarray<nb::numpy>(data, rank, shape, owner, nullptr, dtype, device, device_id));
    }
    return nb::cast(nb::ndarray<nb::array_api>(data, rank, shape, owner, nullptr, dtype, device, device_id));
}

}  // namespace ebmkit::python
