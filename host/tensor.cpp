#include "ebmkit/tensor.hpp"

#include <cstdlib>
#include <cstring>
#include <unistd.h>
#include <sstream>

#include "check.hpp"
#include "device_memory.hpp"
#include "ebmkit/error.hpp"

namespace ebmkit {

namespace {

void copy_bytes(void* destination, Device destination_device, const void* source, Device source_device,
                std::size_t bytes) {
    if (destination_device == Device::Host && source_device == Device::Host) std::memmove(destination, source, bytes);
    else detail::device_copy(destination, destination_device, source, source_device, bytes);
}

}  // namespace

const char* to_string(Device device) { return device == Device::Host ? "host" : "cuda"; }
const char* to_string(DType dtype) { return dtype == DType::F32 ? "float32" : "int32"; }
std::size_t element_size(DType) { return 4; }

Shape::Shape(std::initializer_list<std::int64_t> dims) {
    if (dims.size() > static_cast<std::size_t>(max_rank)) {
        throw Error("Shape: rank " + std::to_string(dims.size()) + " exceeds the maximum of 4");
    }
    // Every element count stays below 2^60, so that its byte count fits in 64 bits.
    constexpr std::int64_t max_elements = std::int64_t{1} << 60;
    std::int64_t elements = 1;
    for (std::int64_t d : dims) {
        if (d < 0) throw Error("Shape: dimensions must be >= 0, got " + std::to_string(d));
        dims_[rank_++] = d;
        if (d > 0 && elements > max_elements / d) {
            throw Error("Shape: " + str() + "... has more than 2^60 elements, beyond any memory");
        }
        elements *= d;
    }
}

std::int64_t Shape::numel() const {
    if (rank_ == 0) return 0;
    std::int64_t n = 1;
    for (int i = 0; i < rank_; ++i) n *= dims_[i];
    return n;
}

bool Shape::operator==(const Shape& other) const {
    if (rank_ != other.rank_) return false;
    for (int i = 0; i < rank_; ++i) {
        if (dims_[i] != other.dims_[i]) return false;
    }
    return true;
}

std::string Shape::str() const {
    std::ostringstream s;
    s << '[';
    for (int i = 0; i < rank_; ++i) s << (i ? ", " : "") << dims_[i];
    s << ']';
    return s.str();
}

template <typename T>
void BasicTensorView<T>::check_dtype(DType wanted) const {
    if (wanted != dtype_) {
        throw Error(std::string("TensorView: element type ") + to_string(wanted) + " requested from a " +
                    to_string(dtype_) + " tensor");
    }
}
template <typename T>
template <typename E>
std::vector<E> BasicTensorView<T>::to_vector() const {
    std::vector<E> out(static_cast<std::size_t>(numel()));
    if (!out.empty()) copy_bytes(out.data(), Device::Host, data<E>(), device_, sizeof(E) * out.size());
    return out;
}

template class BasicTensorView<void>;
template class BasicTensorView<const void>;
template std::vector<float> BasicTensorView<void>::to_vector<float>() const;
template std::vector<std::int32_t> BasicTensorView<void>::to_vector<std::int32_t>() const;
template std::vector<float> BasicTensorView<const void>::to_vector<float>() const;
template std::vector<std::int32_t> BasicTensorView<const void>::to_vector<std::int32_t>() const;

void Tensor::Deleter::operator()(void* p) const {
    if (device == Device::Host) std::free(p);
    else detail::device_free(p, stream.get());
}

Tensor::Tensor(Shape shape, DType dtype, Device device) : Tensor(shape, dtype, device, nullptr) {}

Tensor::Tensor(Shape shape, DType dtype, Context& ctx)
    : Tensor(shape, dtype, ctx.device(), ctx.device() == Device::Cuda ? detail::shared_stream(ctx) : nullptr) {}

Tensor::Tensor(Shape shape, DType dtype, Device device, std::shared_ptr<CUstream_st> stream)
    : shape_(shape), dtype_(dtype), device_(device) {
    const std::size_t n = bytes();
    if (n == 0) return;
    void* p = nullptr;
    if (device == Device::Host) {
        // Refused before allocating: Linux may promise more than it has and fail later.
        static const std::size_t host_bytes =
            static_cast<std::size_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<std::size_t>(sysconf(_SC_PAGE_SIZE));
        if (n > host_bytes) {
            throw Error("Tensor: " + std::to_string(n) + " bytes of host memory requested for " + shape.str() +
                        ", the machine has " + std::to_string(host_bytes));
        }
        p = std::aligned_alloc(64, (n + 63) / 64 * 64);
        if (!p) throw Error("Tensor: host allocation of " + std::to_string(n) + " bytes failed");
    } else {
        p = detail::device_alloc(n, stream.get());
    }
    data_ = std::unique_ptr<void, Deleter>(p, Deleter{device, std::move(stream)});
}

Tensor Tensor::zeros(Shape shape, DType dtype, Device device) {
    Tensor t(shape, dtype, device);
    detail::zero(t);
    return t;
}

Tensor Tensor::zeros(Shape shape, DType dtype, Context& ctx) {
    Tensor t(shape, dtype, ctx);
    detail::zero(ctx, t);
    return t;
}

namespace {
template <typename E>
Tensor tensor_from(const std::vector<E>& values, Shape shape) {
    if (static_cast<std::int64_t>(values.size()) != shape.numel()) {
        throw Error("Tensor::from: " + std::to_string(values.size()) + " values do not fill shape " +
                    shape.str());
    }
    Tensor t(shape, DTypeOf<E>::value, Device::Host);
    if (!values.empty()) std::memcpy(t.data<E>(), values.data(), t.bytes());
    return t;
}
}  // namespace

Tensor Tensor::from(const std::vector<float>& values, Shape shape) { return tensor_from(values, shape); }
Tensor Tensor::from(const std::vector<std::int32_t>& values, Shape shape) { return tensor_from(values, shape); }

Tensor Tensor::clone() const { return to(device_); }

Tensor Tensor::to(Device device) const {
    Tensor t(shape_, dtype_, device);
    if (!empty()) copy_bytes(t.data_.get(), device, data_.get(), device_, bytes());
    return t;
}

void Tensor::copy_from(ConstTensorView source) { copy(source, view()); }

Tensor Tensor::copy_of(ConstTensorView source, Device device) {
    Tensor t(source.shape(), source.dtype(), device);
    copy(source, t);
    return t;
}

template <typename E>
std::vector<E> Tensor::to_vector() const {
    return view().to_vector<E>();
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<std::int32_t> Tensor::to_vector<std::int32_t>() const;

void copy(ConstTensorView source, TensorView destination) {
    if (!(source.shape() == destination.shape()) || source.dtype() != destination.dtype()) {
        throw Error("copy: source " + source.shape().str() + " " + to_string(source.dtype()) +
                    " does not match destination " + destination.shape().str() + " " +
                    to_string(destination.dtype()));
    }
    if (source.empty()) return;
    copy_bytes(destination.raw(), destination.device(), source.raw(), source.device(),
                       static_cast<std::size_t>(source.numel()) * element_size(source.dtype()));
}

namespace {
std::size_t bytes_of(ConstTensorView t) { return static_cast<std::size_t>(t.numel()) * element_size(t.dtype()); }
}  // namespace

void detail::zero(TensorView t) {
    if (t.empty()) return;
    if (t.device() == Device::Host) std::memset(t.raw(), 0, bytes_of(t));
    else device_zero(t.raw(), bytes_of(t), nullptr);
}

void detail::zero(Context& ctx, TensorView t) {
    if (t.empty()) return;
    if (t.device() == Device::Host) std::memset(t.raw(), 0, bytes_of(t));
    else device_zero(t.raw(), bytes_of(t), ctx.stream());
}

void detail::copy_on_stream(Context& ctx, ConstTensorView source, TensorView destination) {
    if (source.device() == Device::Cuda && destination.device() == Device::Cuda && !source.empty() &&
        source.shape() == destination.shape() && source.dtype() == destination.dtype()) {
        device_copy_async(destination.raw(), source.raw(), bytes_of(source), false, ctx.stream());
    } else {
        copy(source, destination);
    }
}

void detail::read_back(Context& ctx, const void* source, void* destination, std::size_t bytes) {
    void* staging = host_staging(ctx, bytes);
    device_copy_async(staging, source, bytes, true, ctx.stream());
    stream_wait(ctx.stream());
    std::memcpy(destination, staging, bytes);
}

void detail::ensure(Context& ctx, Tensor& t, Shape shape, DType dtype) {
    if (t.shape() == shape && t.dtype() == dtype && t.device() == ctx.device()) return;
    t = Tensor();  // the old block back to the pool first
    t = Tensor(shape, dtype, ctx);
}

}  // namespace ebmkit
