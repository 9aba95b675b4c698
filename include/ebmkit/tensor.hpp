/// @file
/// Tensor (owning) and TensorView / ConstTensorView (non-owning): row-major,
/// dense, on the host or on a CUDA device. Copies between devices are explicit.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

struct CUstream_st;  ///< the CUDA stream, declared as the CUDA headers declare it

namespace ebmkit {

class Context;
/// Where a tensor's memory is: the host, or the CUDA device of the current context.
enum class Device { Host, Cuda };
/// The element types: float32 and int32.
enum class DType { F32, I32 };

/// @{
/// The name of a device or dtype ("host", "cuda"; "float32", "int32").
const char* to_string(Device device);
const char* to_string(DType dtype);
/// @}
/// Bytes per element.
std::size_t element_size(DType dtype);

/// A shape of rank 0 to 4. Rank 0 is the empty tensor (no data), not a scalar.
class Shape {
public:
    static constexpr int max_rank = 4;  ///< the highest rank
    Shape() = default;
    /// A shape of the given dimensions (at most max_rank, each >= 0).
    Shape(std::initializer_list<std::int64_t> dims);
    /// The number of dimensions.
    int rank() const { return rank_; }
    /// Dimension i.
    std::int64_t operator[](int i) const { return dims_[i]; }
    /// The number of elements (the product of the dimensions; 0 at rank 0).
    std::int64_t numel() const;
    /// The same rank and dimensions.
    bool operator==(const Shape& other) const;
    std::string str() const;  ///< "[4, 784]"

private:
    std::array<std::int64_t, max_rank> dims_{};
    int rank_ = 0;
};

/// The DType of a C++ element type, as its member value: F32 for float, I32 for std::int32_t.
template <typename T>
struct DTypeOf;
/// @cond
template <>
struct DTypeOf<float> { static constexpr DType value = DType::F32; };
template <>
struct DTypeOf<std::int32_t> { static constexpr DType value = DType::I32; };
/// @endcond

template <typename T>
class BasicTensorView;
class Tensor;
/// @{
/// A mutable and a read-only view.
using TensorView = BasicTensorView<void>;
using ConstTensorView = BasicTensorView<const void>;
/// @}

/// Copy between any two views of equal shape and dtype (host<->device included).
void copy(ConstTensorView source, TensorView destination);

/// A typed-erased view. T is void (mutable) or const void (read-only). A view never
/// owns: models hand out views of their parameters, so a caller can change values but
/// not a parameter's shape or device.
template <typename T>
class BasicTensorView {
public:
    BasicTensorView() = default;
    /// A view of data with the given shape, dtype and device; the caller keeps data alive.
    BasicTensorView(T* data, Shape shape, DType dtype, Device device)
        : data_(data), shape_(shape), dtype_(dtype), device_(device) {}
    /// A mutable view converts to a read-only one.
    template <typename U, typename = std::enable_if_t<!std::is_same_v<T, U> && std::is_const_v<T>>>
    BasicTensorView(const BasicTensorView<U>& other)
        : data_(other.raw()), shape_(other.shape()), dtype_(other.dtype()), device_(other.device()) {}

    /// @{
    /// The viewed pointer, shape, dimension i, rank, element count, dtype and device; empty() when there is no data or no element.
    T* raw() const { return data_; }
    const Shape& shape() const { return shape_; }
    std::int64_t dim(int i) const { return shape_[i]; }
    int rank() const { return shape_.rank(); }
    std::int64_t numel() const { return shape_.numel(); }
    DType dtype() const { return dtype_; }
    Device device() const { return device_; }
    bool empty() const { return data_ == nullptr || shape_.numel() == 0; }
    /// @}

    /// Typed access; throws Error when E does not match the dtype.
    template <typename E>
    auto data() const -> std::conditional_t<std::is_const_v<T>, const E*, E*> {
        check_dtype(DTypeOf<std::remove_const_t<E>>::value);
        return static_cast<std::conditional_t<std::is_const_v<T>, const E*, E*>>(data_);
    }
    /// A host copy of the elements.
    template <typename E>
    std::vector<E> to_vector() const;
    /// Overwrites the viewed elements (a mutable view only) with source's: same shape and dtype, any devices.
    template <typename U = T, typename = std::enable_if_t<!std::is_const_v<U>>>
    void copy_from(BasicTensorView<const void> source) const {
        copy(source, *this);
    }
    /// The same from a tensor, a temporary one included (it lives through the call).
    template <typename U = T, typename = std::enable_if_t<!std::is_const_v<U>>>
    void copy_from(const Tensor& source) const;

private:
    void check_dtype(DType wanted) const;
    T* data_ = nullptr;
    Shape shape_;
    DType dtype_ = DType::F32;
    Device device_ = Device::Host;
};

/// A dense row-major tensor that owns its memory, on the host or a CUDA device.
class Tensor {
public:
    Tensor() = default;  ///< empty: rank 0, no data
    /// Uninitialised storage. On Device::Cuda it is allocated and freed in order on the
    /// legacy default stream, which every Context's stream waits for.
    Tensor(Shape shape, DType dtype = DType::F32, Device device = Device::Host);
    /// Uninitialised storage where ctx computes; on a CUDA context allocated and freed in
    /// order on its stream, without a host wait (the stream lives as long as the tensor).
    Tensor(Shape shape, DType dtype, Context& ctx);
    /// Zeroed storage (on Device::Cuda, zeroed on the legacy default stream).
    static Tensor zeros(Shape shape, DType dtype = DType::F32, Device device = Device::Host);
    static Tensor zeros(Shape shape, DType dtype, Context& ctx);  ///< zeroed on ctx's stream
    /// @{
    /// Host tensor holding a copy of values; values.size() must equal shape.numel().
    static Tensor from(const std::vector<float>& values, Shape shape);
    static Tensor from(const std::vector<std::int32_t>& values, Shape shape);
    static Tensor from(std::initializer_list<float> values, Shape shape) {
        return from(std::vector<float>(values), shape);
    }
    /// @}

    /// @{
    /// Moves the memory; the moved-from tensor is empty.
    Tensor(Tensor&&) noexcept = default;
    Tensor& operator=(Tensor&&) noexcept = default;
    /// @}
    Tensor(const Tensor&) = delete;             ///< copies are explicit: clone() / to()
    Tensor& operator=(const Tensor&) = delete;

    Tensor clone() const;                       ///< same device
    Tensor to(Device device) const;             ///< copy to device (a copy even if already there)
    void copy_from(ConstTensorView source);     ///< same shape and dtype, any devices
    void copy_from(const Tensor& source) { copy_from(source.view()); }  ///< the same from a tensor, a temporary included
    template <typename E>
    std::vector<E> to_vector() const;           ///< host copy of the elements

    /// A new tensor on device holding a copy of the view's elements.
    static Tensor copy_of(ConstTensorView source, Device device);

    /// @{
    /// Views of a tensor that outlives them. A temporary has none: a view of it would
    /// dangle once the full expression ends (name the tensor first).
    TensorView view() & { return {data_.get(), shape_, dtype_, device_}; }
    ConstTensorView view() const& { return {data_.get(), shape_, dtype_, device_}; }
    TensorView view() && = delete;
    ConstTensorView view() const&& = delete;
    operator TensorView() & { return view(); }
    operator ConstTensorView() const& { return view(); }
    operator TensorView() && = delete;
    operator ConstTensorView() const&& = delete;
    /// @}

    /// @{
    /// Typed access; throws Error when E does not match the dtype.
    template <typename E>
    E* data() { return view().data<E>(); }
    template <typename E>
    const E* data() const { return view().data<E>(); }
    /// @}

    /// @{
    /// Shape, dimension i, rank, element count, dtype, device, emptiness and size in bytes.
    const Shape& shape() const { return shape_; }
    std::int64_t dim(int i) const { return shape_[i]; }
    int rank() const { return shape_.rank(); }
    std::int64_t numel() const { return shape_.numel(); }
    DType dtype() const { return dtype_; }
    Device device() const { return device_; }
    bool empty() const { return numel() == 0; }
    std::size_t bytes() const { return static_cast<std::size_t>(numel()) * element_size(dtype_); }
    /// @}

private:
    Tensor(Shape shape, DType dtype, Device device, std::shared_ptr<CUstream_st> stream);
    struct Deleter {
        Device device;
        std::shared_ptr<CUstream_st> stream;  ///< where device memory is freed; null: the legacy stream
        void operator()(void* p) const;
    };
    std::unique_ptr<void, Deleter> data_{nullptr, Deleter{Device::Host, nullptr}};
    Shape shape_;
    DType dtype_ = DType::F32;
    Device device_ = Device::Host;
};

template <typename T>
template <typename U, typename>
void BasicTensorView<T>::copy_from(const Tensor& source) const {
    copy(source.view(), *this);
}

}  // namespace ebmkit
