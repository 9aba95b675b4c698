// What the inpaint and denoise commands (ebm rbm|jem inpaint, ebm rbm|jem|score denoise)
// share: the options of every inpaint command, the three-row picture (corrupted |
// restored | truth), and the scores against the two baselines.
#pragma once

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

#include "ebmkit/ebmkit.hpp"

namespace ebm {

struct InpaintRun {
    std::string model, data = ebmkit::default_fashion_mnist_dir(), backend = "auto", mask = "top", out;
    double rate = 0.5;
    std::int64_t count = 500, neighbours = 10000;
    std::uint64_t seed = 0;
    bool json = false;
};
// --model (a checkpoint of `what`), --data, --mask, --rate, --count, --neighbours, --seed,
// --backend, --out (default out), --json.
void add_inpaint_options(CLI::App& command, InpaintRun& run, const std::string& what, const std::string& out);

// The first 8 rows of each of top, middle and bottom ([N, height * width], values in
// [0, 1]) as three rows of one PNG grid.
void write_three_rows(const std::string& path, const ebmkit::Tensor& top, const ebmkit::Tensor& middle,
                      const ebmkit::Tensor& bottom, std::int64_t height, std::int64_t width);
// truth with its missing pixels (mask 0) grey: what the restoration started from.
ebmkit::Tensor corrupted_view(const ebmkit::Tensor& truth, const ebmkit::Tensor& mask);

struct InpaintScores {
    ebmkit::RestorationError model, mean_image, nearest_image;
};
// restored, truth and mask [N, D] in [0, 1]; training [M, D] the baselines' images.
InpaintScores score_inpainting(const ebmkit::Tensor& restored, const ebmkit::Tensor& truth, const ebmkit::Tensor& mask,
                               const ebmkit::Tensor& training);

}  // namespace ebm
