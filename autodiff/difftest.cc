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
    Comparison gradient = CompareResults(expected.gradients[i], actual.gradients[i], tolerance);
    if (!gradient.ok) {
      difference.differs = true;
      difference.message = "gradient of t" + std::to_string(i) + ": " + gradient.message;
      return difference;
    }
  }
  return difference;
}

}  // namespace neon
