// The cross-device conformance suite: each case builds an op-tree over inputs
// made from the same host data on two backends, assigns it on both, and
// compares the backend under test with `reference`. Adding an op adds a case.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "graph/expr.h"

namespace neon::conformance {

// How an input is laid out in memory: all three present the same logical values.
enum class Layout { kPlain, kTransposed, kSliced };

// How input values are drawn.
struct Domain {
  double low = -2.0;
  double high = 2.0;
  bool integers = false;  // round to whole numbers (ties for comparisons and argmax)
  bool specials = false;  // put NaN, +-Inf, +-0 at fixed positions
  bool range_limits = false;  // every value is one of RangeLimitValues(), in order, cyclically
};

// Special and range-limit values: NaN, +-inf, +-0, denormals, the smallest normal and largest
// finite floats, and values whose exponent lies beyond the float range (as shift amounts).
const std::vector<double>& RangeLimitValues();

struct InputSpec {
  Shape shape;
  DType dtype = DType::kFloat32;
  Domain domain;
  Layout layout = Layout::kPlain;
};

struct Case {
  std::string name;
  std::vector<InputSpec> inputs;
  std::function<Expr(const std::vector<Tensor>&)> build;
  DType output_dtype = DType::kFloat32;
  // NMSE limit: mse(ref, dev) / mse(ref, 0) over finite positions.
  double tolerance = 1e-7;
  // Draw rand() from the same seed on both backends before evaluating.
  bool uses_rand = false;
  // When > 0, each element is checked too (see CompareResults), not only the NMSE.
  double max_relative_error = 0;
};

// One backend per spec for the whole test program (devices are expensive to open).
Backend& SharedBackend(const std::string& spec);

// Every case, built once.
const std::vector<Case>& AllCases();

// The inputs of `spec` made from `values` (row-major over the logical shape) on `backend`.
Tensor MakeInput(Backend& backend, const InputSpec& spec, const std::vector<double>& values);

// Deterministic host values for an input.
std::vector<double> DrawValues(const InputSpec& spec, uint32_t seed);

struct Comparison {
  bool ok = true;
  std::string message;  // what differed, when not ok
};

// NMSE over finite positions, plus identical NaN / +Inf / -Inf positions. With
// max_relative_error > 0 every finite element must match too: exactly where the
// reference is +-1 (saturated and exact results: tanh(inf), sig(inf), exp(0)), else
// within max_relative_error of it or within the smallest normal float (a denormal result
// keeps fewer bits), so one wrong element among huge ones is still found.
Comparison CompareResults(const std::vector<double>& reference, const std::vector<double>& device,
                          double tolerance, double max_relative_error = 0);

}  // namespace neon::conformance
