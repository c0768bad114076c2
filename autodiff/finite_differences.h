// Central finite differences of an op-tree, the oracle the autodiff tests
// compare gradients with (float64 tensors on the reference backend).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "graph/expr.h"
#include "graph/tensor.h"

namespace neon {

// d/dw sum(tree * next_error) for each element of each contiguous tensor in `wrt`, by
// (L(w + h) - L(w - h)) / 2h with h = step * max(1, |w|). Tensors are restored afterwards.
std::vector<std::vector<double>> FiniteDifferenceGradients(const Expr& tree, const std::vector<Tensor>& wrt,
                                                           const std::optional<Tensor>& next_error,
                                                           double step = 1e-5);

// d loss / d tensor by central differences at elements 0, stride, 2 stride, ... of a contiguous
// tensor, with h as above. The tensor is restored afterwards.
std::vector<double> FiniteDifferences(Tensor tensor, const std::function<double()>& loss, double step = 1e-5,
                                      size_t stride = 1);

// Compares autodiff gradients with finite differences element by element: |ad - fd| must be
// at most tolerance * (1 + |fd|). Returns "" when they agree, else the first few mismatches.
std::string CompareGradients(const std::vector<std::vector<double>>& autodiff,
                             const std::vector<std::vector<double>>& finite_differences, double tolerance);

}  // namespace neon
