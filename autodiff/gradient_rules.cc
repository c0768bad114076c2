#include "autodiff/gradient_rules.h"

#include <array>
#include <cmath>
#include <string>

#include "core/error.h"

namespace neon {

namespace {

constexpr double kLn2 = 0.69314718055994530942;
// safelog clamps at e^-50 (core/scalar_ops.h); below it the function is flat.
const double kSafelogFloor = std::exp(-50.0);

// The share of the gradient each side of maximum/minimum gets: 1 where it wins, 1/2 on a tie.
Expr WinnerShare(const Expr& wins, const Expr& x, const Expr& y) { return wins + 0.5 * eq(x, y); }

// Gradient of a max/min reduction: all of it to the first extreme element, the one
// argmax/argmin picks. Picking by index (not by comparing with the stored result) stays
// right when a backend recomputes the operand with different rounding than the result.
OperandGrads ExtremumGrad(const Expr& node, const Expr& grad) {
  const Expr& x = node.operand(0);
  OpKind pick = node.op() == OpKind::kMax ? OpKind::kArgmax : OpKind::kArgmin;
  auto first = [&](const Expr& values, int axis) { return Expr::Make(pick, {values}, axis); };
  const Shape& shape = x.shape();
  switch (node.axis()) {
    case 0:
      return {grad * onehot(first(x, 0), shape[0], 0)};
    case 1:
      return {grad * onehot(first(x, 1), shape[1], 1)};
    default: {  // the first extreme row-major: the first extreme row's first extreme column
      Expr row_extremes = Expr::Make(node.op(), {x}, 1);
      return {grad * onehot(first(x, 1), shape[1], 1) * onehot(first(row_extremes, 0), shape[0], 0)};
    }
  }
}

// dot(A, B) with A (M, K), B (K, N). The incoming gradient may be (M, 1), (1, N) or (1, 1)
// (it broadcasts); then the product with a constant row or column is a sum, not a GEMM.
OperandGrads DotGrad(const Expr& node, const Expr& grad) {
  const Expr& a = node.operand(0);
  const Expr& b = node.operand(1);
  const Shape& g = grad.shape();
  bool full_cols = g[1] == node.shape()[1];
  bool full_rows = g[0] == node.shape()[0];
  Expr grad_a = full_cols ? dot(grad, transpose(b)) : grad * transpose(sum(b, 1));
  Expr grad_b = full_rows ? dot(transpose(a), grad) : transpose(sum(a, 0)) * grad;
  return {grad_a, grad_b};
}

struct RuleEntry {
  OpKind op;
  GradientRule rule;
};

// The table: one rule per differentiable op (x, y = operands, n = the node, g = its gradient).
const RuleEntry kRules[] = {
    {OpKind::kNeg, [](const Expr& n, const Expr& g) -> OperandGrads { return {-g}; }},
    {OpKind::kAbs, [](const Expr& n, const Expr& g) -> OperandGrads { return {g * sgn(n.operand(0))}; }},
    {OpKind::kSqrt, [](const Expr& n, const Expr& g) -> OperandGrads { return {g * 0.5 / n}; }},
    {OpKind::kSqr, [](const Expr& n, const Expr& g) -> OperandGrads { return {g * 2.0 * n.operand(0)}; }},
    {OpKind::kExp, [](const Expr& n, const Expr& g) -> OperandGrads { return {g * n}; }},
    {OpKind::kLog, [](const Expr& n, const Expr& g) -> OperandGrads { return {g / n.operand(0)}; }},
    {OpKind::kExp2, [](const Expr& n, const Expr& g) -> OperandGrads { return {g * n * kLn2}; }},
    {OpKind::kLog2, [](const Expr& n, const Expr& g) -> OperandGrads { return {g / (n.operand(0) * kLn2)}; }},
    {OpKind::kSig, [](const Expr& n, const Expr& g) -> OperandGrads { return {g * n * (1.0 - n)}; }},
    {OpKind::kSig2, [](const Expr& n, const Expr& g) -> OperandGrads { return {g * n * (1.0 - n) * kLn2}; }},
    {OpKind::kTanh, [](const Expr& n, const Expr& g) -> OperandGrads { return {g * (1.0 - sqr(n))}; }},
    {OpKind::kTanh2, [](const Expr& n, const Expr& g) -> OperandGrads { return {g * (1.0 - sqr(n)) * kLn2}; }},
    {OpKind::kSafelog,
     [](const Expr& n, const Expr& g) -> OperandGrads {
       const Expr& x = n.operand(0);  // 0 where clamped; the maximum keeps 0 / 0 out
       return {g * gt(x, kSafelogFloor) / maximum(x, kSafelogFloor)};
     }},
    {OpKind::kTranspose, [](const Expr& n, const Expr& g) -> OperandGrads { return {transpose(g)}; }},
    {OpKind::kAdd, [](const Expr& n, const Expr& g) -> OperandGrads { return {g, g}; }},
    {OpKind::kSub, [](const Expr& n, const Expr& g) -> OperandGrads { return {g, -g}; }},
    {OpKind::kMul,
     [](const Expr& n, const Expr& g) -> OperandGrads { return {g * n.operand(1), g * n.operand(0)}; }},
    {OpKind::kDiv,
     [](const Expr& n, const Expr& g) -> OperandGrads {
       const Expr& y = n.operand(1);
       return {g / y, -(g * n / y)};
     }},
    {OpKind::kPow,
     [](const Expr& n, const Expr& g) -> OperandGrads {
       const Expr& x = n.operand(0);
       const Expr& y = n.operand(1);
       return {g * y * pow(x, y - 1.0), g * n * log(x)};
     }},
    {OpKind::kMinimum,
     [](const Expr& n, const Expr& g) -> OperandGrads {
       const Expr& x = n.operand(0);
       const Expr& y = n.operand(1);
       return {g * WinnerShare(lt(x, y), x, y), g * WinnerShare(gt(x, y), x, y)};
     }},
    {OpKind::kMaximum,
     [](const Expr& n, const Expr& g) -> OperandGrads {
       const Expr& x = n.operand(0);
       const Expr& y = n.operand(1);
       return {g * WinnerShare(gt(x, y), x, y), g * WinnerShare(lt(x, y), x, y)};
     }},
    {OpKind::kShift,
     [](const Expr& n, const Expr& g) -> OperandGrads {
       return {g * exp2(n.operand(1)), g * n * kLn2};
     }},
    {OpKind::kDot, DotGrad},
    {OpKind::kSum, [](const Expr& n, const Expr& g) -> OperandGrads { return {g}; }},  // g broadcasts back
    {OpKind::kMax, ExtremumGrad},
    {OpKind::kMin, ExtremumGrad},
};

OperandGrads NoGradient(const Expr& node, const Expr& grad) { return OperandGrads(node.operands().size()); }

// kRules indexed by op; checked against the op table's kDifferentiable flags once.
std::array<GradientRule, kNumOpKinds> BuildIndex() {
  std::array<GradientRule, kNumOpKinds> index{};
  for (const RuleEntry& entry : kRules) index[static_cast<int>(entry.op)] = entry.rule;
  for (int i = 0; i < kNumOpKinds; ++i) {
    OpKind op = static_cast<OpKind>(i);
    bool differentiable = (Info(op).flags & kDifferentiable) != 0;
    if (differentiable != (index[i] != nullptr)) {
      throw ArgumentError("gradient rules: op '" + std::string(OpName(op)) +
                          (differentiable ? "' is differentiable but has no rule"
                                          : "' has a rule but is not marked differentiable"));
    }
    if (!differentiable && ClassOf(op) != OpClass::kLeaf && ClassOf(op) != OpClass::kInternal) {
      index[i] = NoGradient;
    }
  }
  return index;
}

}  // namespace

GradientRule GradientRuleFor(OpKind op) {
  static const std::array<GradientRule, kNumOpKinds> index = BuildIndex();
  GradientRule rule = index[static_cast<int>(op)];
  if (rule == nullptr) {
    throw ArgumentError("autodiff: op '" + std::string(OpName(op)) +
                        "' has no gradient rule (leaves and internal ops are not differentiated)");
  }
  return rule;
}

bool HasGradient(OpKind op) { return (Info(op).flags & kDifferentiable) != 0; }

namespace {

// Whether `expr` is constant along the reduced axis (it broadcasts there).
bool ConstantAlong(const Expr& expr, int axis) {
  const Shape& shape = expr.shape();
  return axis == kAllAxes ? shape[0] == 1 && shape[1] == 1 : shape[axis] == 1;
}

// The factors of a product: mul operands, div divisors that are constant along `axis`,
// and negations, split by whether they vary along `axis`.
struct Factors {
  std::vector<Expr> varying;
  std::vector<Expr> constant;
  std::vector<Expr> constant_divisors;
  bool negate = false;
};

void CollectFactors(const Expr& expr, int axis, Factors& factors) {
  if (ConstantAlong(expr, axis)) {
    factors.constant.push_back(expr);
  } else if (expr.op() == OpKind::kMul) {
    CollectFactors(expr.operand(0), axis, factors);
    CollectFactors(expr.operand(1), axis, factors);
  } else if (expr.op() == OpKind::kDiv && ConstantAlong(expr.operand(1), axis)) {
    CollectFactors(expr.operand(0), axis, factors);
    factors.constant_divisors.push_back(expr.operand(1));
  } else if (expr.op() == OpKind::kNeg) {
    factors.negate = !factors.negate;
    CollectFactors(expr.operand(0), axis, factors);
  } else {
    factors.varying.push_back(expr);
  }
}

Expr Product(const std::vector<Expr>& factors) {
  Expr product = factors[0];
  for (size_t i = 1; i < factors.size(); ++i) product = product * factors[i];
  return product;
}

// sum(grad, axis) with the factors constant along the axis taken out of the sum
// (sum(d * gamma * (x - mu) / s) = gamma / s * sum(d * (x - mu))): fewer operations per
// element, and equal sums in different gradients become one shared node.
Expr SumAlong(const Expr& grad, int axis) {
  if (grad.op() == OpKind::kNeg) return -SumAlong(grad.operand(0), axis);
  bool linear = grad.op() == OpKind::kAdd || grad.op() == OpKind::kSub;
  if (linear && !ConstantAlong(grad.operand(0), axis) && !ConstantAlong(grad.operand(1), axis)) {
    Expr left = SumAlong(grad.operand(0), axis);
    Expr right = SumAlong(grad.operand(1), axis);
    return grad.op() == OpKind::kAdd ? left + right : left - right;
  }
  Factors factors;
  CollectFactors(grad, axis, factors);
  if (factors.varying.empty()) return sum(grad, axis);  // cannot happen for a grad that varies
  Expr result = sum(Product(factors.varying), axis);
  if (!factors.constant.empty()) result = result * Product(factors.constant);
  if (!factors.constant_divisors.empty()) result = result / Product(factors.constant_divisors);
  return factors.negate ? -result : result;
}

}  // namespace

Expr ReduceToShape(const Expr& grad, const Shape& shape, const Shape& broadcast_shape) {
  bool sum_rows = false, sum_cols = false;
  double copies = 1.0;
  for (int axis = 0; axis < 2; ++axis) {
    if (shape[axis] != 1 || broadcast_shape[axis] == 1) continue;
    if (grad.shape()[axis] != 1) {
      (axis == 0 ? sum_rows : sum_cols) = true;
    } else {
      copies *= static_cast<double>(broadcast_shape[axis]);
    }
  }
  Expr reduced = sum_rows && sum_cols ? SumAlong(grad, kAllAxes)
                 : sum_rows           ? SumAlong(grad, 0)
                 : sum_cols           ? SumAlong(grad, 1)
                                      : grad;
  return copies == 1.0 ? reduced : reduced * copies;
}

}  // namespace neon
