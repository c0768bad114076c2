// Central finite differences of an op-tree, the oracle the autodiff tests
// compare gradients with (float64 tensors on the reference backend).
#pragma once

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

// Compares autodiff gradients with finite differences element by element: |ad - fd| must be
// at most tolerance * (1 + |fd|). Returns "" when they agree, else the first few mismatches.
std::string CompareGradients(const std::vector<std::vector<double>>& autodiff,
                             const std::vector<std::vector<double>>& finite_differences, double tolerance);

}  // namespace neon
