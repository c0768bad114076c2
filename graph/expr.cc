#include "graph/expr.h"

#include <algorithm>
#include <string>

#include "core/error.h"

namespace neon {

namespace {

const Shape kScalarShape = {1, 1};

// numpy broadcasting of two 2-D shapes, or ShapeError naming the op.
Shape BroadcastShapes(OpKind op, const Shape& a, const Shape& b) {
  Shape result(2);
  for (int axis = 0; axis < 2; ++axis) {
    if (a[axis] == b[axis] || b[axis] == 1) {
      result[axis] = a[axis];
    } else if (a[axis] == 1) {
      result[axis] = b[axis];
    } else {
      throw ShapeError(std::string(OpName(op)) + ": shapes " + ShapeString(a) + " and " +
                       ShapeString(b) + " do not broadcast (each axis must match or be 1)");
    }
  }
  return result;
}

void CheckAxis(OpKind op, int axis) {
  if (axis != 0 && axis != 1 && axis != kAllAxes) {
    throw ArgumentError(std::string(OpName(op)) + ": axis must be 0, 1 or kAllAxes (-1), got " +
                        std::to_string(axis));
  }
}

Shape ResultShape(OpKind op, const std::vector<Expr>& operands, int axis, int64_t count) {
  switch (ClassOf(op)) {
    case OpClass::kLeaf:
    case OpClass::kInternal:
      return kScalarShape;
    case OpClass::kGenerator:
      if (op == OpKind::kRand) return kScalarShape;
      {  // onehot
        const Shape& idx = operands[0].shape();
        if (count <= 0) throw ArgumentError("onehot: count must be positive, got " + std::to_string(count));
        if (axis == 0 && idx[0] == 1) return {count, idx[1]};
        if (axis == 1 && idx[1] == 1) return {idx[0], count};
        throw ShapeError("onehot: indices of shape " + ShapeString(idx) + " on axis " +
                         std::to_string(axis) + " (expected (1, N) on axis 0 or (N, 1) on axis 1)");
      }
    case OpClass::kUnary:
      return operands[0].shape();
    case OpClass::kMovement:
      return {operands[0].shape()[1], operands[0].shape()[0]};
    case OpClass::kBinary:
      return BroadcastShapes(op, operands[0].shape(), operands[1].shape());
    case OpClass::kMatmul: {
      const Shape& a = operands[0].shape();
      const Shape& b = operands[1].shape();
      if (a[1] != b[0]) {
        throw ShapeError("dot: shapes " + ShapeString(a) + " and " + ShapeString(b) +
                         " do not multiply (columns of the first must equal rows of the second)");
      }
      return {a[0], b[1]};
    }
    case OpClass::kReduction: {
      CheckAxis(op, axis);
      const Shape& x = operands[0].shape();
      bool empty = axis == kAllAxes ? x[0] * x[1] == 0 : x[axis] == 0;
      if (empty && (op == OpKind::kArgmax || op == OpKind::kArgmin)) {
        throw ShapeError(std::string(OpName(op)) + ": operand of shape " + ShapeString(x) + " has nothing along axis " +
                         std::to_string(axis) + " (an index of an empty axis does not exist)");
      }
      if (axis == 0) return {1, x[1]};
      if (axis == 1) return {x[0], 1};
      return kScalarShape;
    }
  }
  return kScalarShape;
}

std::string FormatNumber(double value) {
  std::string text = std::to_string(value);
  text.erase(text.find_last_not_of('0') + 1);
  if (!text.empty() && text.back() == '.') text.pop_back();
  return text;
}

}  // namespace

Expr::Expr(const Tensor& tensor) {
  if (!tensor.defined()) throw ArgumentError("op-tree: a null (default-constructed) Tensor used as an operand");
  auto node = std::make_shared<OpNode>();
  node->op = OpKind::kTensor;
  node->tensor = tensor;
  node->shape = {tensor.rows2d(), tensor.cols2d()};
  node_ = std::move(node);
}

Expr::Expr(double value) {
  auto node = std::make_shared<OpNode>();
  node->op = OpKind::kScalar;
  node->value = value;
  node->shape = kScalarShape;
  node_ = std::move(node);
}

Expr Expr::Make(OpKind op, std::vector<Expr> operands, int axis, int64_t count) {
  if (static_cast<int>(operands.size()) != Info(op).arity) {
    throw ArgumentError(std::string(OpName(op)) + ": expected " + std::to_string(Info(op).arity) +
                        " operands, got " + std::to_string(operands.size()));
  }
  if (ClassOf(op) == OpClass::kLeaf) {
    throw ArgumentError(std::string(OpName(op)) + ": leaves are made from a Tensor or a number");
  }
  auto node = std::make_shared<OpNode>();
  node->shape = ResultShape(op, operands, axis, count);
  for (const Expr& operand : operands) node->depth = std::max(node->depth, operand.depth() + 1);
  node->op = op;
  node->operands = std::move(operands);
  node->axis = axis;
  node->count = count;
  return Expr(std::shared_ptr<const OpNode>(std::move(node)));
}

OpNode::~OpNode() {
  // Nodes only this one owns are taken apart here, children first detached, so each
  // destructor below runs with no operands left to destroy.
  std::vector<std::shared_ptr<const OpNode>> orphans;
  auto adopt = [&orphans](std::vector<Expr>& operands) {
    for (Expr& operand : operands) {
      if (operand.node_.use_count() == 1) orphans.push_back(std::move(operand.node_));
    }
    operands.clear();
  };
  adopt(operands);
  while (!orphans.empty()) {
    std::shared_ptr<const OpNode> node = std::move(orphans.back());
    orphans.pop_back();
    // The sole owner may take its operands: no one else can see the node any more.
    adopt(const_cast<OpNode&>(*node).operands);
  }
}

void CheckTreeDepth(const Expr& tree, const char* what) {
  if (tree.depth() <= kMaxTreeDepth) return;
  throw ArgumentError(std::string(what) + ": the op-tree is " + std::to_string(tree.depth()) +
                      " levels deep; at most " + std::to_string(kMaxTreeDepth) +
                      " are supported (assign a part of it into a tensor first)");
}

OpKind Expr::op() const { return node_->op; }
int Expr::depth() const { return node_->depth; }
const Shape& Expr::shape() const { return node_->shape; }
const std::vector<Expr>& Expr::operands() const { return node_->operands; }
const Tensor& Expr::tensor() const { return node_->tensor; }
double Expr::value() const { return node_->value; }
int Expr::axis() const { return node_->axis; }
int64_t Expr::count() const { return node_->count; }

namespace {

constexpr int kPrintedLevels = 32;

std::string Render(const Expr& expr, int level) {
  if (level >= kPrintedLevels && !expr.operands().empty()) return "...";
  switch (expr.op()) {
    case OpKind::kTensor: {
      const std::string& name = expr.tensor().name();
      return (name.empty() ? std::string("tensor") : name) + ShapeString(expr.tensor().shape());
    }
    case OpKind::kScalar:
      return FormatNumber(expr.value());
    default: {
      std::string text = std::string(OpName(expr.op())) + "(";
      for (size_t i = 0; i < expr.operands().size(); ++i) {
        if (i > 0) text += ", ";
        text += Render(expr.operand(static_cast<int>(i)), level + 1);
      }
      if (IsReduction(expr.op()) || expr.op() == OpKind::kOnehot) {
        if (!expr.operands().empty()) text += ", ";
        text += "axis=" + std::to_string(expr.axis());
      }
      return text + ")";
    }
  }
}

}  // namespace

std::string Expr::ToString() const { return Render(*this, 0); }

#define NEON_BINARY_FN(fn, kind) \
  Expr fn(const Expr& a, const Expr& b) { return Expr::Make(OpKind::kind, {a, b}); }
NEON_BINARY_FN(add, kAdd)
NEON_BINARY_FN(sub, kSub)
NEON_BINARY_FN(mul, kMul)
NEON_BINARY_FN(div, kDiv)
NEON_BINARY_FN(eq, kEq)
NEON_BINARY_FN(ne, kNe)
NEON_BINARY_FN(lt, kLt)
NEON_BINARY_FN(le, kLe)
NEON_BINARY_FN(gt, kGt)
NEON_BINARY_FN(ge, kGe)
NEON_BINARY_FN(pow, kPow)
NEON_BINARY_FN(minimum, kMinimum)
NEON_BINARY_FN(maximum, kMaximum)
NEON_BINARY_FN(shift, kShift)
NEON_BINARY_FN(dot, kDot)
#undef NEON_BINARY_FN

#define NEON_UNARY_FN(fn, kind) \
  Expr fn(const Expr& x) { return Expr::Make(OpKind::kind, {x}); }
NEON_UNARY_FN(neg, kNeg)
NEON_UNARY_FN(abs, kAbs)
NEON_UNARY_FN(sgn, kSgn)
NEON_UNARY_FN(finite, kFinite)
NEON_UNARY_FN(sqrt, kSqrt)
NEON_UNARY_FN(sqr, kSqr)
NEON_UNARY_FN(exp, kExp)
NEON_UNARY_FN(log, kLog)
NEON_UNARY_FN(exp2, kExp2)
NEON_UNARY_FN(log2, kLog2)
NEON_UNARY_FN(sig, kSig)
NEON_UNARY_FN(sig2, kSig2)
NEON_UNARY_FN(tanh, kTanh)
NEON_UNARY_FN(tanh2, kTanh2)
NEON_UNARY_FN(safelog, kSafelog)
NEON_UNARY_FN(rint, kRint)
NEON_UNARY_FN(binarize, kBinarize)
NEON_UNARY_FN(transpose, kTranspose)
#undef NEON_UNARY_FN

#define NEON_REDUCTION_FN(fn, kind) \
  Expr fn(const Expr& x, int axis) { return Expr::Make(OpKind::kind, {x}, axis); }
NEON_REDUCTION_FN(sum, kSum)
NEON_REDUCTION_FN(max, kMax)
NEON_REDUCTION_FN(min, kMin)
NEON_REDUCTION_FN(argmax, kArgmax)
NEON_REDUCTION_FN(argmin, kArgmin)
#undef NEON_REDUCTION_FN

Expr operator+(const Expr& a, const Expr& b) { return add(a, b); }
Expr operator-(const Expr& a, const Expr& b) { return sub(a, b); }
Expr operator*(const Expr& a, const Expr& b) { return mul(a, b); }
Expr operator/(const Expr& a, const Expr& b) { return div(a, b); }
Expr operator-(const Expr& a) { return neg(a); }
Expr operator==(const Expr& a, const Expr& b) { return eq(a, b); }
Expr operator!=(const Expr& a, const Expr& b) { return ne(a, b); }
Expr operator<(const Expr& a, const Expr& b) { return lt(a, b); }
Expr operator<=(const Expr& a, const Expr& b) { return le(a, b); }
Expr operator>(const Expr& a, const Expr& b) { return gt(a, b); }
Expr operator>=(const Expr& a, const Expr& b) { return ge(a, b); }

Expr mean(const Expr& x, int axis) {
  Expr total = sum(x, axis);
  int64_t n = axis == kAllAxes ? x.shape()[0] * x.shape()[1] : x.shape()[axis];
  return total * (1.0 / static_cast<double>(n));
}

Expr var(const Expr& x, int axis) { return mean(sqr(x - mean(x, axis)), axis); }

Expr std_dev(const Expr& x, int axis) { return sqrt(var(x, axis)); }

Expr clip(const Expr& x, const Expr& low, const Expr& high) { return minimum(maximum(x, low), high); }

Expr rand() { return Expr::Make(OpKind::kRand, {}); }

Expr onehot(const Expr& indices, int64_t count, int axis) {
  return Expr::Make(OpKind::kOnehot, {indices}, axis, count);
}

}  // namespace neon
