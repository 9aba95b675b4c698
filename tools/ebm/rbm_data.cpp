#include "rbm_data.hpp"

namespace ebm {

using namespace ebmkit;

std::string binarization_of(const SafeTensors& file) {
    const auto how = file.metadata.find("binarize");
    return how == file.metadata.end() ? "threshold" : how->second;
}

Tensor binarized(const Tensor& images, const std::string& how, std::uint64_t seed) {
    return how == "sample" ? binarize_sample(images, seed) : binarize_threshold(images, 0.5f);
}

Tensor binarized(const ImageSet& set, const std::string& how, std::uint64_t seed, std::int64_t limit) {
    if (limit <= 0 || limit >= set.size()) return binarized(set.images, how, seed);
    Tensor head({limit, set.images.dim(1)});
    copy(ConstTensorView(set.images.data<float>(), {limit, set.images.dim(1)}, DType::F32, Device::Host), head);
    return binarized(head, how, seed);
}

Tensor training_base_rate(Context& ctx, const std::string& data_dir, const std::string& how, std::uint64_t seed) {
    return base_rate_bias(binarized(load_fashion_mnist(data_dir, "train"), how, seed, 0)).to(ctx.device());
}

}  // namespace ebm
