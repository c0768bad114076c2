#include "backends/compare.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace neon {

namespace {

std::string Describe(const char* what, size_t index, double reference, double device) {
  char text[160];
  std::snprintf(text, sizeof(text), "%s element %zu: reference %.9g, device %.9g", what, index, reference, device);
  return text;
}

}  // namespace

Comparison CompareResults(const std::vector<double>& reference, const std::vector<double>& device,
                          double tolerance, double max_relative_error) {
  Comparison result;
  if (reference.size() != device.size()) {
    result.ok = false;
    result.message = "sizes differ: " + std::to_string(reference.size()) + " vs " + std::to_string(device.size());
    return result;
  }
  double squared_error = 0.0;
  double squared_reference = 0.0;
  size_t finite = 0;
  for (size_t i = 0; i < reference.size(); ++i) {
    const double r = reference[i];
    const double d = device[i];
    if (!std::isfinite(r) || !std::isfinite(d)) {
      if (!((std::isnan(r) && std::isnan(d)) || r == d)) {
        result.ok = false;
        result.nonfinite_mismatch = true;
        result.first_difference = i;
        result.message = Describe("non-finite mismatch at", i, r, d);
        return result;
      }
      continue;
    }
    if (max_relative_error > 0) {
      const bool exact = r == 1 || r == -1;
      const double allowed = exact ? 0 : max_relative_error * std::fabs(r) + std::numeric_limits<float>::min();
      if (!(std::fabs(r - d) <= allowed)) {
        char bound[48];
        std::snprintf(bound, sizeof(bound), " (allowed error %.3g)", allowed);
        result.ok = false;
        result.first_difference = i;
        result.message = Describe("element-wise check failed at", i, r, d) + bound;
        return result;
      }
    }
    squared_error += (r - d) * (r - d);
    squared_reference += r * r;
    ++finite;
  }
  result.nmse = squared_reference > 0 ? squared_error / squared_reference : squared_error;
  if (result.nmse <= tolerance) return result;
  result.ok = false;
  const double mean_square = finite > 0 ? squared_reference / static_cast<double>(finite) : 0.0;
  for (size_t i = 0; i < reference.size(); ++i) {
    const double error = (reference[i] - device[i]) * (reference[i] - device[i]);
    if (error > tolerance * std::max(reference[i] * reference[i], mean_square)) {
      result.first_difference = i;
      break;
    }
  }
  char nmse[96];
  std::snprintf(nmse, sizeof(nmse), "NMSE %.3g > %.3g; ", result.nmse, tolerance);
  result.message = nmse + Describe("first differing", result.first_difference, reference[result.first_difference],
                                   device[result.first_difference]);
  return result;
}

}  // namespace neon
