// The gradient rules of reverse-mode autodiff: one entry per op kind (the
// table in gradient_rules.cc). A rule maps a node and the gradient flowing
// into it to the gradients of its operands, as op-trees.
//
// Broadcasting: the incoming gradient may have a unit dimension where the node
// has more (it broadcasts, e.g. the default next_error is the scalar 1), and a
// rule may return an operand gradient larger than the operand; the caller
// (ReduceToShape) sums it back down. Rules never look at scalar values, only at
// structure, so their result can be cached by structure.
//
// Ties: max/min reductions and maximum/minimum split the gradient evenly
// between tied elements (k tied maxima each get g / k; maximum(a, b) with a == b
// gives g / 2 to each), so the gradients always sum to g.
#pragma once

#include <optional>
#include <vector>

#include "graph/expr.h"

namespace neon {

// One gradient per operand; nullopt means zero (no gradient flows there).
using OperandGrads = std::vector<std::optional<Expr>>;

// (node, gradient of the node) -> gradients of node.operands().
using GradientRule = OperandGrads (*)(const Expr& node, const Expr& grad);

// The rule for `op`. Non-differentiable ops (comparisons, sgn, rint, argmax,
// generators, ...) have a rule returning no gradients; leaves and internal
// ops have none and throw ArgumentError.
GradientRule GradientRuleFor(OpKind op);

// Whether `op` passes gradient to its operands at all.
bool HasGradient(OpKind op);

// `grad` summed over the axes where `shape` is 1 and grad is not (undoes broadcasting).
Expr ReduceToShape(const Expr& grad, const Shape& shape);

}  // namespace neon
