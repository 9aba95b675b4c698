#include "restore_report.hpp"

#include <algorithm>

#include "cli.hpp"

namespace ebm {

using namespace ebmkit;

void add_inpaint_options(CLI::App& c, InpaintRun& a, const std::string& what, const std::string& out) {
    a.out = out;
    c.add_option("--model", a.model, what + " checkpoint")->required()->check(CLI::ExistingFile);
    c.add_option("--data", a.data, "Fashion-MNIST folder (test images restored, training images the baselines')");
    c.add_option("--mask", a.mask, "Missing pixels: the top half, the left half, a centred box, or random ones")
        ->check(CLI::IsMember(names_of<MaskKind>()));
    c.add_option("--rate", a.rate, "Fraction of pixels missing (--mask random)")->check(CLI::Range(0.0, 1.0));
    c.add_option("--count", a.count, "Test images")->check(at_least(1));
    c.add_option("--neighbours", a.neighbours, "Training images the nearest-image baseline searches")->check(at_least(1));
    c.add_option("--seed", a.seed, "Seed of the mask and the chains")->check(at_least(0));
    add_backend_option(c, a.backend);
    c.add_option("--out", a.out, "PNG grid: corrupted | restored | truth rows");
    c.add_flag("--json", a.json, "Print a JSON summary on stdout");
}

void write_three_rows(const std::string& path, const Tensor& top, const Tensor& middle, const Tensor& bottom,
                      std::int64_t height, std::int64_t width) {
    const std::int64_t d = height * width, shown = std::min<std::int64_t>(8, top.dim(0));
    Tensor grid({3 * shown, d});
    for (int row = 0; row < 3; ++row) {
        const Tensor& source = row == 0 ? top : row == 1 ? middle : bottom;
        std::copy_n(source.data<float>(), shown * d, grid.data<float>() + row * shown * d);
    }
    write_png_grid(path, grid, height, width, shown);
}

Tensor corrupted_view(const Tensor& truth, const Tensor& mask) {
    Tensor out = truth.clone();
    for (std::int64_t e = 0; e < out.numel(); ++e) {
        if (mask.data<float>()[e] == 0.0f) out.data<float>()[e] = 0.5f;
    }
    return out;
}

InpaintScores score_inpainting(const Tensor& restored, const Tensor& truth, const Tensor& mask, const Tensor& training) {
    return {restoration_error(restored, truth, mask),
            restoration_error(mean_image_restoration(truth, mask, training), truth, mask),
            restoration_error(nearest_image_restoration(truth, mask, training), truth, mask)};
}

}  // namespace ebm
