#include "tools/plot.h"

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <vector>

#include "core/error.h"
#include "layers/safetensors.h"

namespace neon {

namespace {

struct LogRow {
  double epoch, train_cost, test_accuracy;
};

std::vector<LogRow> ReadLog(const std::string& path) {
  std::istringstream lines(ReadWholeFile(path));
  std::string line;
  std::vector<LogRow> rows;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (number == 1) {
      if (line.rfind("epoch,train_cost,test_accuracy", 0) != 0) {
        throw IoError(path + ": line 1 is not the header epoch,train_cost,test_accuracy,seconds of neon train --log");
      }
      continue;
    }
    LogRow row;
    double seconds;
    char tail;
    if (std::sscanf(line.c_str(), "%lf,%lf,%lf,%lf%c", &row.epoch, &row.train_cost, &row.test_accuracy, &seconds,
                    &tail) != 4) {
      throw IoError(path + ": line " + std::to_string(number) + " is not four numbers: '" + line + "'");
    }
    rows.push_back(row);
  }
  if (rows.empty()) throw IoError(path + ": no epochs logged");
  return rows;
}

// One panel: a polyline of (epoch, value) scaled into a box at (left, top), with its title and range.
std::string Panel(const std::vector<LogRow>& rows, double LogRow::*value, const std::string& title, int left, int top,
                  const char* color) {
  constexpr int kWidth = 360, kHeight = 220;
  double low = rows[0].*value, high = low;
  for (const LogRow& row : rows) low = std::min(low, row.*value), high = std::max(high, row.*value);
  if (high - low < 1e-12) high = low + 1.0;  // a flat line still needs a scale
  double first_epoch = rows.front().epoch, last_epoch = std::max(rows.back().epoch, first_epoch + 1.0);
  std::string points;
  for (const LogRow& row : rows) {
    char point[64];
    std::snprintf(point, sizeof(point), "%.1f,%.1f ", left + kWidth * (row.epoch - first_epoch) / (last_epoch - first_epoch),
                  top + kHeight * (1.0 - (row.*value - low) / (high - low)));
    points += point;
  }
  char frame[512];
  std::snprintf(frame, sizeof(frame),
                "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>\n"
                "<text x=\"%d\" y=\"%d\" font-size=\"14\">%s (%.4g to %.4g, epochs %g to %g)</text>\n",
                left, top, kWidth, kHeight, left, top - 8, title.c_str(), low, high, first_epoch, rows.back().epoch);
  return std::string(frame) + "<polyline fill=\"none\" stroke=\"" + color + "\" stroke-width=\"2\" points=\"" + points +
         "\"/>\n";
}

}  // namespace

void PlotTrainingLog(const std::string& log_path, const std::string& svg_path) {
  std::vector<LogRow> rows = ReadLog(log_path);
  std::string svg =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"820\" height=\"280\" font-family=\"sans-serif\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg += Panel(rows, &LogRow::train_cost, "train cost", 30, 40, "#c0392b");
  svg += Panel(rows, &LogRow::test_accuracy, "test accuracy", 430, 40, "#2471a3");
  svg += "</svg>\n";
  WriteFileAtomically(svg_path, svg);
}

}  // namespace neon
