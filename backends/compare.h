// How two results of the same computation are compared, by the conformance
// cases and by shadow validation: normalised mean squared error over finite
// positions, and NaN / +Inf / -Inf at identical positions.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace neon {

struct Comparison {
  bool ok = true;
  std::string message;              // what differed, when not ok
  double nmse = 0.0;                // mse(reference, device) / mse(reference, 0) over finite positions
  bool nonfinite_mismatch = false;  // NaN / +Inf / -Inf at different positions
  size_t first_difference = 0;      // the first element off by more than the tolerance allows, when not ok
};

// Passes when NMSE <= tolerance and the non-finite positions match. The first differing
// element is the first whose squared error exceeds tolerance * max(r^2, mean r^2).
// With max_relative_error > 0 every finite element must match too: exactly where the
// reference is +-1 (saturated and exact results: tanh(inf), sig(inf), exp(0)), else within
// max_relative_error of it or within the smallest normal float (a denormal result keeps
// fewer bits), so one wrong element among huge ones is still found.
Comparison CompareResults(const std::vector<double>& reference, const std::vector<double>& device,
                          double tolerance, double max_relative_error = 0);

}  // namespace neon
