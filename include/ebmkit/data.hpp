/// @file
/// Data sets: IDX files (MNIST, Fashion-MNIST; gzip-compressed or not) and the
/// transforms the models want.
#pragma once

#include <cstdint>
#include <string>

#include "ebmkit/tensor.hpp"

namespace ebmkit {

/// An IDX image set in memory (load_fashion_mnist, load_idx).
struct ImageSet {
    Tensor images;  ///< [N, height * width] float32 in [0, 1] (grey level / 255)
    Tensor labels;  ///< [N] int32
    std::int64_t height = 0;  ///< the images' height in pixels
    std::int64_t width = 0;   ///< and their width
    /// The number of images.
    std::int64_t size() const { return images.dim(0); }
};

/// Reads an IDX image file (magic 0x00000803) and its label file (0x00000801).
/// Throws Error naming the file on a missing, truncated or malformed file, or when
/// the counts disagree.
ImageSet load_idx(const std::string& images_path, const std::string& labels_path);

/// split: "train" or "test"; dir holds {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz].
ImageSet load_fashion_mnist(const std::string& dir, const std::string& split);
/// Where Debian's dataset-fashion-mnist installs it.
inline const char* default_fashion_mnist_dir() { return "/usr/share/datasets/fashion-mnist"; }

/// 1 where images > threshold, else 0 (host tensors).
Tensor binarize_threshold(const Tensor& images, float threshold = 0.5f);
/// 1 with probability equal to the grey level, from Philox (purpose DataSample, chain = row).
Tensor binarize_sample(const Tensor& images, std::uint64_t seed);

}  // namespace ebmkit
