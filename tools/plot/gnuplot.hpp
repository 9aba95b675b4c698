// Drawing with gnuplot (Debian gnuplot-nox): a script in, a PNG out. The ebm
// command's training curves and ebm-bench's plots are scripts built here.
#pragma once

#include <string>
#include <vector>

namespace ebm::plot {

// text as a gnuplot single-quoted string: no escapes inside, '' for a quote.
std::string quoted(const std::string& text);

// A datablock named name (e.g. "$curves") of rows of numbers; NaN where a value is missing.
std::string datablock(const std::string& name, const std::vector<std::vector<double>>& rows);

// The start of every script: a png terminal (pngcairo) of width x height pixels
// writing to png, literal text (no enhanced-text markup), and NaN as missing data.
std::string preamble(const std::string& png, int width, int height);

// Runs gnuplot on script. Throws ebmkit::Error with gnuplot's own messages when it
// fails, and a clear one when gnuplot is not installed.
void render(const std::string& script);

// gnuplot is on PATH.
bool available();

}  // namespace ebm::plot
