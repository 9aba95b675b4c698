#include "batching.hpp"

#include <algorithm>
#include <numeric>

#include "ebmkit/philox.hpp"

namespace ebmkit::detail {

std::vector<std::int64_t> shuffled_order(std::int64_t n, std::uint64_t seed, std::uint32_t chain, std::uint32_t step) {
    std::vector<std::int64_t> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    for (std::int64_t i = n - 1; i > 0; --i) {
        const float u = philox_uniform(seed, RngPurpose::Shuffle, chain, step, static_cast<std::uint32_t>(i));
        const auto j = std::min<std::int64_t>(i, static_cast<std::int64_t>(u * static_cast<float>(i + 1)));
        std::swap(order[i], order[j]);
    }
    return order;
}

Tensor gather_rows(const Tensor& data, const std::int64_t* rows, std::int64_t count, Device device) {
    const std::int64_t width = data.numel() / data.dim(0);
    Tensor out = data.rank() == 2 ? Tensor({count, width}, data.dtype()) : Tensor({count}, data.dtype());
    const auto* src = static_cast<const char*>(data.view().raw());
    auto* dst = static_cast<char*>(out.view().raw());
    const std::size_t row_bytes = static_cast<std::size_t>(width) * element_size(data.dtype());
    for (std::int64_t r = 0; r < count; ++r) std::copy_n(src + rows[r] * row_bytes, row_bytes, dst + r * row_bytes);
    return device == Device::Host ? std::move(out) : out.to(device);
}

}  // namespace ebmkit::detail
