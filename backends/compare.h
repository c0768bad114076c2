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
Comparison CompareResults(const std::vector<double>& reference, const std::vector<double>& device,
                          double tolerance);

}  // namespace neon
