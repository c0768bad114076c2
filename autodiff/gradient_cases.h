// Named gradient problems, one or more per gradient rule plus broadcasts,
// reductions on every axis, views, shared subtrees and the seed's examples.
// The autodiff tests check each against finite differences on the reference
// backend; the cross-device conformance suite (tests/) runs each on every
// backend and compares with reference, so a new backend gets them for free.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "graph/expr.h"
#include "graph/tensor.h"

namespace neon {

struct GradientProblem {
  Expr tree;
  std::vector<Tensor> wrt;          // the tensors whose gradients are compared
  std::optional<Tensor> next_error;  // ones when absent
};

struct GradientCase {
  std::string name;
  // Makes the problem's tensors on `backend` in `dtype` with fixed values (float32 or float64).
  GradientProblem (*build)(Backend& backend, DType dtype);
  // Evaluated at a tie of a max/min reduction: the tie rule decides the gradient there,
  // central finite differences do not apply (tested against fixed values instead).
  bool has_ties = false;
};

const std::vector<GradientCase>& GradientCases();

// The gradients of the case's wrt tensors on `backend` (via get_grad_tensor), as float64
// host arrays in row-major order.
std::vector<std::vector<double>> EvaluateGradientCase(const GradientCase& gradient_case, Backend& backend,
                                                      DType dtype);

// Deterministic values for tests: `count` numbers whose magnitude lies in [low, high], of
// random sign unless `positive`, from `seed`.
std::vector<double> TestValues(size_t count, double low, double high, bool positive, uint64_t seed);

}  // namespace neon
