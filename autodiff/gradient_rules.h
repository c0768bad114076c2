// The gradient rules of reverse-mode autodiff: one entry per op kind (the
// table in gradient_rules.cc). A rule maps a node and the gradient flowing
// into it to the gradients of its operands, as op-trees.
//
// Broadcasting: the incoming gradient may have a unit dimension where the node
// has more (it is constant along that axis, e.g. the default next_error is the
// scalar 1), and a rule may return an operand gradient larger than the operand;
// the caller (ReduceToShape) sums it back down. Rules never look at scalar values, only at
// structure, so their result can be cached by structure.
//
// Ties: a max/min reduction gives all of the gradient to the first extreme
// element in row-major order (the one argmax/argmin returns); maximum/minimum
// split it evenly (a == b gives g / 2 to each, which is also what central
// finite differences measure there).
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

// Undoes broadcasting: the gradient of an operand of `shape` that an elementwise op
// broadcast to `broadcast_shape`, from `grad` (whose unit axes mean "constant along
// it"). On an axis the operand has as 1 but the op as n > 1, grad is summed over the
// axis, or multiplied by n when it is constant along it.
Expr ReduceToShape(const Expr& grad, const Shape& shape, const Shape& broadcast_shape);

}  // namespace neon
