#include "autodiff/difftest.h"

#include <algorithm>
#include <cmath>
#include <exception>

#include "autodiff/autodiff.h"
#include "backends/compare.h"
#include "graph/random_stream.h"

namespace neon {
namespace {

// What one backend computed for a tree: its values and, when asked, its gradients.
struct TreeResult {
  std::vector<double> values;
  std::vector<std::vector<double>> gradients;
};

TreeResult Evaluate(const RandomTree& tree, Backend& backend, bool gradients) {
  std::vector<Tensor> leaves;
  Expr expr = BuildRandomTree(tree, backend, &leaves);
  SetSeed(backend, tree.seed);  // rand() draws the same numbers on both backends
  TreeResult result;
  result.values = empty(backend, tree.root->shape, tree.dtype).assign(expr).get<double>();
  if (gradients) result.gradients = Autodiff(expr, backend).get_grad_host_f64(leaves);
  return result;
}

// Overflowed or huge values say nothing about gradients (they are inf or NaN by rounding).
bool ValuesAreModerate(const std::vector<double>& values) {
  return std::all_of(values.begin(), values.end(), [](double v) { return std::isfinite(v) && std::fabs(v) < 1e4; });
}

// A gradient that cancels to zero analytically (f = (x a) / (x b) does not depend on x) is
// rounding noise of the order of the dtype's epsilon on both backends, and NMSE against
// an all-zero reference is meaningless: there, every element must be within that noise.
Comparison CompareGradient(const std::vector<double>& expected, const std::vector<double>& actual, DType dtype,
                           double tolerance) {
  double noise = dtype == DType::kFloat64 ? 1e-12 : 1e-5;
  bool cancelled = std::all_of(expected.begin(), expected.end(), [&](double v) { return std::fabs(v) < noise; });
  if (!cancelled) return CompareResults(expected, actual, tolerance);
  Comparison comparison;
  for (size_t i = 0; i < expected.size(); ++i) {
    if (!(std::fabs(actual[i] - expected[i]) < noise)) {
      comparison.ok = false;
      comparison.first_difference = i;
      comparison.message = "element " + std::to_string(i) + " of a cancelled gradient: reference " +
                           std::to_string(expected[i]) + ", device " + std::to_string(actual[i]);
      return comparison;
    }
  }
  return comparison;
}

}  // namespace

TreeDifference CompareTree(const RandomTree& tree, Backend& reference, Backend& device) {
  TreeDifference difference;
  if (tree.dtype == DType::kFloat64 && !device.info().supports_float64) {
    difference.skipped = true;
    difference.message = "float64 unsupported on " + device.info().name;
    return difference;
  }
  bool gradients = HasComparableGradients(tree);
  TreeResult expected;
  try {
    expected = Evaluate(tree, reference, gradients);
  } catch (const std::exception& error) {
    difference.skipped = true;
    difference.message = std::string("reference rejected the tree: ") + error.what();
    return difference;
  }
  gradients = gradients && ValuesAreModerate(expected.values);
  TreeResult actual;
  try {
    actual = Evaluate(tree, device, gradients);
  } catch (const std::exception& error) {
    difference.differs = true;
    difference.message = device.info().name + " threw where reference did not: " + error.what();
    return difference;
  }
  double tolerance = tree.dtype == DType::kFloat64 ? 1e-12 : 1e-7;
  Comparison values = CompareResults(expected.values, actual.values, tolerance);
  if (!values.ok) {
    difference.differs = true;
    difference.message = "values: " + values.message;
    return difference;
  }
  difference.gradients_compared = gradients;
  for (size_t i = 0; gradients && i < expected.gradients.size(); ++i) {
    Comparison gradient = CompareGradient(expected.gradients[i], actual.gradients[i], tree.dtype, tolerance);
    if (!gradient.ok) {
      difference.differs = true;
      difference.message = "gradient of t" + std::to_string(i) + ": " + gradient.message;
      return difference;
    }
  }
  return difference;
}

}  // namespace neon
