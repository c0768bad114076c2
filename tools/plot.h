// `neon plot`: the CSV log of `neon train --log` drawn as an SVG file (train cost and
// test accuracy against the epoch, one panel each) that any browser opens.
#pragma once

#include <string>

namespace neon {

// Reads `log_path` (epoch,train_cost,test_accuracy,seconds) and writes `svg_path` atomically.
// IoError naming the file and line on a malformed log.
void PlotTrainingLog(const std::string& log_path, const std::string& svg_path);

}  // namespace neon
