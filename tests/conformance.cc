#include "tests/conformance.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <random>

#include "backends/registry.h"

namespace neon::conformance {

Backend& SharedBackend(const std::string& spec) {
  static auto* backends = new std::map<std::string, std::unique_ptr<Backend>>();
  std::unique_ptr<Backend>& slot = (*backends)[spec];
  if (!slot) slot = CreateBackend(spec);
  return *slot;
}

const std::vector<double>& RangeLimitValues() {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  constexpr double kMaxFloat = std::numeric_limits<float>::max();
  constexpr double kMinNormal = std::numeric_limits<float>::min();
  constexpr double kMinDenormal = std::numeric_limits<float>::denorm_min();
  static const std::vector<double> values = {
      std::numeric_limits<double>::quiet_NaN(), kInf, -kInf, 0.0, -0.0, kMinDenormal, -kMinDenormal,
      1e-40, kMinNormal, -kMinNormal, 1e-30, kMaxFloat, -kMaxFloat, 3e38, 1e30, -1e30,
      128, -128, -150, 150, 1, -1, 0.5, 2, -3};
  return values;
}

std::vector<double> DrawValues(const InputSpec& spec, uint32_t seed) {
  int64_t count = spec.shape[0] * spec.shape[1];
  std::mt19937 engine(seed);
  std::uniform_real_distribution<double> uniform(spec.domain.low, spec.domain.high);
  std::vector<double> values(static_cast<size_t>(count));
  for (double& value : values) {
    value = uniform(engine);
    if (spec.domain.integers) value = std::nearbyint(value);
    if (spec.dtype == DType::kFloat32) value = static_cast<float>(value);
  }
  if (spec.domain.range_limits) {
    const std::vector<double>& limits = RangeLimitValues();
    for (size_t i = 0; i < values.size(); ++i) values[i] = limits[i % limits.size()];
  }
  if (spec.domain.specials) {
    const double specials[] = {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                               -std::numeric_limits<double>::infinity(), 0.0, -0.0};
    for (size_t i = 0; i < std::size(specials) && i * 3 < values.size(); ++i) values[i * 3] = specials[i];
  }
  return values;
}

Tensor MakeInput(Backend& backend, const InputSpec& spec, const std::vector<double>& values) {
  int64_t rows = spec.shape[0];
  int64_t cols = spec.shape[1];
  Tensor logical;
  switch (spec.layout) {
    case Layout::kPlain:
      logical = empty(backend, {rows, cols}, spec.dtype, "input");
      break;
    case Layout::kTransposed:
      logical = empty(backend, {cols, rows}, spec.dtype, "input").T();
      break;
    case Layout::kSliced:  // inside a larger matrix: offset and padded row stride
      logical = empty(backend, {rows + 3, cols + 2}, spec.dtype, "input").rows(2, rows + 2).cols(1, cols + 1);
      break;
  }
  logical.set(values);
  return logical;
}

Comparison CompareResults(const std::vector<double>& reference, const std::vector<double>& device,
                          double tolerance, double max_relative_error) {
  Comparison result;
  if (reference.size() != device.size()) {
    return {false, "sizes differ: " + std::to_string(reference.size()) + " vs " + std::to_string(device.size())};
  }
  double squared_error = 0.0;
  double squared_reference = 0.0;
  size_t worst = 0;
  double worst_error = -1.0;
  for (size_t i = 0; i < reference.size(); ++i) {
    double r = reference[i];
    double d = device[i];
    if (!std::isfinite(r) || !std::isfinite(d)) {
      bool same = (std::isnan(r) && std::isnan(d)) || r == d;
      if (!same) {
        return {false, "non-finite mismatch at element " + std::to_string(i) + ": reference " + std::to_string(r) +
                           ", device " + std::to_string(d)};
      }
      continue;
    }
    if (max_relative_error > 0) {
      const bool exact = r == 1 || r == -1;
      const double allowed = exact ? 0 : max_relative_error * std::fabs(r) + std::numeric_limits<float>::min();
      if (!(std::fabs(r - d) <= allowed)) {
        char text[160];
        std::snprintf(text, sizeof text, "element %zu: reference %.9g, device %.9g (allowed error %.3g)", i, r, d,
                      allowed);
        return {false, text};
      }
    }
    double error = (r - d) * (r - d);
    squared_error += error;
    squared_reference += r * r;
    if (error > worst_error) {
      worst_error = error;
      worst = i;
    }
  }
  double nmse = squared_reference > 0 ? squared_error / squared_reference : squared_error;
  if (!(nmse <= tolerance)) {
    result.ok = false;
    result.message = "NMSE " + std::to_string(nmse) + " > " + std::to_string(tolerance) + "; worst at element " +
                     std::to_string(worst) + ": reference " + std::to_string(reference[worst]) + ", device " +
                     std::to_string(device[worst]);
  }
  return result;
}

}  // namespace neon::conformance
