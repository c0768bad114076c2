#include "autodiff/random_op_tree.h"

#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <set>

#include "autodiff/gradient_cases.h"
#include "core/error.h"
#include "core/op_table.h"

namespace neon {
namespace {

using UnaryFn = Expr (*)(const Expr&);
using BinaryFn = Expr (*)(const Expr&, const Expr&);
using ReduceFn = Expr (*)(const Expr&, int);

struct UnaryOp { const char* name; UnaryFn fn; };
struct BinaryOp { const char* name; BinaryFn fn; };
struct ReduceOp { const char* name; ReduceFn fn; };

// Every elementwise op of core/op_table.h (transpose, dot and onehot are made separately).
const UnaryOp kUnaryOps[] = {
    {"finite", finite}, {"neg", neg},     {"abs", abs},         {"sgn", sgn},
    {"sqrt", sqrt},      {"sqr", sqr},     {"exp", exp},         {"log", log},
    {"exp2", exp2},      {"log2", log2},   {"sig", sig},         {"sig2", sig2},
    {"tanh", tanh},      {"tanh2", tanh2}, {"safelog", safelog}, {"rint", rint},
    {"binarize", binarize},
};
const BinaryOp kBinaryOps[] = {
    {"add", add},          {"sub", sub},          {"mul", mul},     {"div", div},
    {"eq", eq},           {"ne", ne},           {"lt", lt},      {"le", le},
    {"gt", gt},           {"ge", ge},           {"pow", pow},     {"minimum", minimum},
    {"maximum", maximum},  {"shift", shift},
};
const ReduceOp kReduceOps[] = {
    {"sum", sum}, {"max", max}, {"min", min}, {"argmax", argmax}, {"argmin", argmin},
};

template <typename Op, size_t N>
const Op* FindOp(const Op (&ops)[N], const std::string& name) {
  for (const Op& op : ops) {
    if (name == op.name) return &op;
  }
  return nullptr;
}

// From the op table's flags; rand and onehot make no gradient to compare.
bool IsDifferentiableOp(const std::string& op) {
  if (op == "leaf" || op == "scalar") return true;
  for (const OpInfo& info : kOpInfo) {
    if (op == info.name) return (info.flags & kDifferentiable) != 0;
  }
  return false;
}

// No values near the float range limits (the largest finite values, denormals): reference
// evaluates intermediates in double, so a float32 tree whose intermediate overflows or
// underflows (exp(89) * 0.3, log(sqr(1e-40)), pow(-0.6, sqr(1e-40))) legitimately differs;
// the conformance suite's range-limit cases cover single ops there.
std::vector<double> SpecialValues() {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  return {0.0, -0.0, kInf, -kInf, std::nan("")};
}

// Piecewise-constant ops (and argmax, whose ties decide) read leaves only: their inputs are
// then exact on both backends, so a rounding difference cannot move a value across a kink.
bool IsDiscontinuous(const std::string& op) {
  for (const char* name : {"finite", "sgn", "rint", "binarize", "eq", "ne", "lt", "le", "gt", "ge", "argmax",
                           "argmin"}) {
    if (op == name) return true;
  }
  return false;
}

RandomNodePtr MakeNode(std::string op, Shape shape, std::vector<RandomNodePtr> operands, int axis = kAllAxes) {
  auto node = std::make_shared<RandomNode>();
  node->op = std::move(op);
  node->shape = std::move(shape);
  node->operands = std::move(operands);
  node->axis = axis;
  return node;
}

RandomNodePtr MakeLeafNode(int leaf, Shape shape) {
  auto node = std::make_shared<RandomNode>();
  node->op = "leaf";
  node->shape = std::move(shape);
  node->leaf = leaf;
  return node;
}

class Generator {
 public:
  Generator(uint64_t seed, const RandomTreeOptions& options) : options_(options), rng_(seed) {
    tree_.seed = seed;
    tree_.dtype = options.allow_float64 && Chance(0.3) ? DType::kFloat64 : DType::kFloat32;
    specials_ = options.special_values && Chance(0.2);
  }

  RandomTree Make() {
    const Shape kRootShapes[] = {{3, 4}, {1, 3}, {3, 1}, {1, 1}, {2, 5}, {5, 2}};
    tree_.root = Make(kRootShapes[Pick(6)], 1 + static_cast<int>(Pick(options_.max_depth)));
    return std::move(tree_);
  }

 private:
  RandomNodePtr Make(const Shape& shape, int depth) {
    if (depth == 0 || Chance(0.15)) return Leaf(shape);
    int64_t rows = shape[0], cols = shape[1];
    switch (Pick(8)) {
      case 0:
      case 1: {
        const char* op = kUnaryOps[Pick(std::size(kUnaryOps))].name;
        return MakeNode(op, shape, {Make(shape, OperandDepth(op, depth))});
      }
      case 2:
      case 3: {  // one operand of the full shape, the other maybe broadcast or a scalar, either order
        const char* op = kBinaryOps[Pick(std::size(kBinaryOps))].name;
        RandomNodePtr full = Make(shape, OperandDepth(op, depth));
        RandomNodePtr other = Operand(shape, OperandDepth(op, depth));
        if (Chance(0.5)) std::swap(full, other);
        return MakeNode(op, shape, {full, other});
      }
      case 4: {  // a reduction onto this shape, along the axis that is 1
        const char* op = kReduceOps[Pick(std::size(kReduceOps))].name;
        int operand_depth = OperandDepth(op, depth);
        if (rows == 1 && cols == 1 && Chance(0.5)) return MakeNode(op, shape, {Make({Size(), Size()}, operand_depth)});
        if (rows == 1) return MakeNode(op, shape, {Make({Size(), cols}, operand_depth)}, 0);
        if (cols == 1) return MakeNode(op, shape, {Make({rows, Size()}, operand_depth)}, 1);
        return MakeNode("transpose", shape, {Make({cols, rows}, depth - 1)});
      }
      case 5: {
        int64_t inner = Size();
        return MakeNode("dot", shape, {Make({rows, inner}, depth - 1), Make({inner, cols}, depth - 1)});
      }
      case 6:
        if (rows > 1) {  // onehot of the argmax along the rows: a (rows, cols) mask
          RandomNodePtr indices = MakeNode("argmax", {1, cols}, {Leaf(shape)}, 0);
          return MakeNode("onehot", shape, {indices}, 0);
        }
        return MakeNode("add", shape, {Make(shape, depth - 1), MakeNode("rand", shape, {})});
      default:
        return MakeNode("transpose", shape, {Make({cols, rows}, depth - 1)});
    }
  }

  static int OperandDepth(const std::string& op, int depth) { return IsDiscontinuous(op) ? 0 : depth - 1; }

  // The other operand of a binary op: the full shape, a row, a column, a (1, 1) or a scalar.
  RandomNodePtr Operand(const Shape& shape, int depth) {
    if (!Chance(0.4)) return Make(shape, depth);
    switch (Pick(4)) {
      case 0: return Make({1, shape[1]}, depth);
      case 1: return Make({shape[0], 1}, depth);
      case 2: return Make({1, 1}, depth);
      default: {
        auto node = std::make_shared<RandomNode>();
        node->op = "scalar";
        node->shape = {1, 1};
        node->scalar = std::round(std::uniform_real_distribution<double>(-3, 3)(rng_) * 4) / 4;
        return node;
      }
    }
  }

  RandomNodePtr Leaf(const Shape& shape) {
    std::vector<int> same;
    for (size_t i = 0; i < tree_.leaves.size(); ++i) {
      if (ViewShape(tree_.leaves[i]) == shape) same.push_back(static_cast<int>(i));
    }
    if (!same.empty() && Chance(0.3)) return MakeLeafNode(same[Pick(same.size())], shape);  // a tensor used twice
    RandomLeaf leaf;
    leaf.base_shape = shape;
    switch (Pick(6)) {
      case 0:
      case 1:
        leaf.view = RandomLeaf::View::kTransposed;
        leaf.base_shape = {shape[1], shape[0]};
        break;
      case 2:
        leaf.view = RandomLeaf::View::kRows;
        leaf.base_shape = {shape[0] + 2, shape[1]};
        leaf.begin = 1, leaf.end = 1 + shape[0];
        break;
      case 3:
        leaf.view = RandomLeaf::View::kCols;
        leaf.base_shape = {shape[0], shape[1] + 2};
        leaf.begin = 1, leaf.end = 1 + shape[1];
        break;
      default:
        break;
    }
    size_t count = static_cast<size_t>(leaf.base_shape[0] * leaf.base_shape[1]);
    leaf.values = TestValues(count, 0.2, 1.5, false, rng_());
    if (specials_ && Chance(0.5)) {
      std::vector<double> specials = SpecialValues();
      for (double& value : leaf.values) {
        if (Chance(0.4)) value = specials[Pick(specials.size())];
      }
      leaf.has_special_values = true;
    }
    tree_.leaves.push_back(std::move(leaf));
    return MakeLeafNode(static_cast<int>(tree_.leaves.size() - 1), shape);
  }

  static Shape ViewShape(const RandomLeaf& leaf) {
    switch (leaf.view) {
      case RandomLeaf::View::kTransposed: return {leaf.base_shape[1], leaf.base_shape[0]};
      case RandomLeaf::View::kRows: return {leaf.end - leaf.begin, leaf.base_shape[1]};
      case RandomLeaf::View::kCols: return {leaf.base_shape[0], leaf.end - leaf.begin};
      default: return leaf.base_shape;
    }
  }

  int64_t Size() { return 1 + static_cast<int64_t>(Pick(3)); }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  size_t Pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }

  RandomTreeOptions options_;
  std::mt19937_64 rng_;
  RandomTree tree_;
  bool specials_ = false;
};

Tensor LeafView(const RandomLeaf& leaf, const Tensor& base) {
  switch (leaf.view) {
    case RandomLeaf::View::kTransposed: return base.T();
    case RandomLeaf::View::kRows: return base.rows(leaf.begin, leaf.end);
    case RandomLeaf::View::kCols: return base.cols(leaf.begin, leaf.end);
    default: return base;
  }
}

Expr BuildNode(const RandomNode& node, const std::vector<Tensor>& views) {
  if (node.op == "leaf") return views[node.leaf];
  if (node.op == "scalar") return node.scalar;
  if (node.op == "rand") return rand();
  std::vector<Expr> operands;
  for (const RandomNodePtr& operand : node.operands) operands.push_back(BuildNode(*operand, views));
  if (node.op == "transpose") return transpose(operands[0]);
  if (node.op == "dot") return dot(operands[0], operands[1]);
  if (node.op == "onehot") return onehot(operands[0], node.shape[node.axis], node.axis);
  if (const UnaryOp* unary = FindOp(kUnaryOps, node.op)) return unary->fn(operands[0]);
  if (const BinaryOp* binary = FindOp(kBinaryOps, node.op)) return binary->fn(operands[0], operands[1]);
  if (const ReduceOp* reduce = FindOp(kReduceOps, node.op)) return reduce->fn(operands[0], node.axis);
  throw ArgumentError("random tree: unknown op '" + node.op + "'");
}

void CollectNodes(const RandomNodePtr& node, std::vector<RandomNodePtr>* nodes) {
  nodes->push_back(node);
  for (const RandomNodePtr& operand : node->operands) CollectNodes(operand, nodes);
}

std::string Literal(double value) {
  if (std::isnan(value)) return "NAN";
  if (std::isinf(value)) return value > 0 ? "INFINITY" : "-INFINITY";
  char text[64];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

std::string NodeToCpp(const RandomNode& node) {
  if (node.op == "leaf") return "v" + std::to_string(node.leaf);
  if (node.op == "scalar") return "neon::Expr(" + Literal(node.scalar) + ")";
  if (node.op == "rand") return "neon::rand()";
  std::string text = "neon::" + node.op + "(";
  for (size_t i = 0; i < node.operands.size(); ++i) text += (i ? ", " : "") + NodeToCpp(*node.operands[i]);
  if (node.op == "onehot") text += ", " + std::to_string(node.shape[node.axis]);
  if (node.op == "onehot" || FindOp(kReduceOps, node.op)) text += ", " + std::to_string(node.axis);
  return text + ")";
}

// `root` with the node `target` (by identity) replaced by `replacement`.
RandomNodePtr Replace(const RandomNodePtr& root, const RandomNode* target, const RandomNodePtr& replacement) {
  if (root.get() == target) return replacement;
  bool changed = false;
  std::vector<RandomNodePtr> operands;
  for (const RandomNodePtr& operand : root->operands) {
    operands.push_back(Replace(operand, target, replacement));
    changed |= operands.back() != operand;
  }
  if (!changed) return root;
  auto copy = std::make_shared<RandomNode>(*root);
  copy->operands = std::move(operands);
  return copy;
}

}  // namespace

RandomTree GenerateRandomTree(uint64_t seed, const RandomTreeOptions& options) {
  return Generator(seed, options).Make();
}

Expr BuildRandomTree(const RandomTree& tree, Backend& backend, std::vector<Tensor>* leaves) {
  std::vector<Tensor> views;
  for (size_t i = 0; i < tree.leaves.size(); ++i) {
    const RandomLeaf& leaf = tree.leaves[i];
    Tensor base = array(backend, leaf.values, leaf.base_shape, tree.dtype, "t" + std::to_string(i));
    if (leaves) leaves->push_back(base);
    views.push_back(LeafView(leaf, base));
  }
  return BuildNode(*tree.root, views);
}

bool HasComparableGradients(const RandomTree& tree) {
  std::vector<RandomNodePtr> nodes;
  CollectNodes(tree.root, &nodes);
  for (const RandomNodePtr& node : nodes) {
    if (!IsDifferentiableOp(node->op)) return false;
    if (node->op == "leaf" && tree.leaves[node->leaf].has_special_values) return false;
  }
  return true;
}

int CountNodes(const RandomTree& tree) {
  std::vector<RandomNodePtr> nodes;
  CollectNodes(tree.root, &nodes);
  return static_cast<int>(nodes.size());
}

std::string RandomTreeToCpp(const RandomTree& tree) {
  std::vector<RandomNodePtr> nodes;
  CollectNodes(tree.root, &nodes);
  std::set<int> used;
  for (const RandomNodePtr& node : nodes) {
    if (node->op == "leaf") used.insert(node->leaf);
  }
  const char* dtype = tree.dtype == DType::kFloat64 ? "neon::DType::kFloat64" : "neon::DType::kFloat32";
  std::string text = "// neon::Backend& be = ...;  (compare with the same lines on reference)\n";
  for (int i : used) {
    const RandomLeaf& leaf = tree.leaves[i];
    std::string values;
    for (size_t j = 0; j < leaf.values.size(); ++j) values += (j ? ", " : "") + Literal(leaf.values[j]);
    text += "neon::Tensor t" + std::to_string(i) + " = neon::array(be, std::vector<double>{" + values + "}, {" +
            std::to_string(leaf.base_shape[0]) + ", " + std::to_string(leaf.base_shape[1]) + "}, " + dtype + ");\n";
    std::string view = leaf.view == RandomLeaf::View::kTransposed ? ".T()"
                       : leaf.view == RandomLeaf::View::kRows
                           ? ".rows(" + std::to_string(leaf.begin) + ", " + std::to_string(leaf.end) + ")"
                       : leaf.view == RandomLeaf::View::kCols
                           ? ".cols(" + std::to_string(leaf.begin) + ", " + std::to_string(leaf.end) + ")"
                           : "";
    text += "neon::Tensor v" + std::to_string(i) + " = t" + std::to_string(i) + view + ";\n";
  }
  text += "neon::SetSeed(be, " + std::to_string(tree.seed) + ");\n";
  text += "neon::Expr tree = " + NodeToCpp(*tree.root) + ";\n";
  text += "std::vector<double> values = neon::empty(be, {" + std::to_string(tree.root->shape[0]) + ", " +
          std::to_string(tree.root->shape[1]) + "}, " + dtype + ").assign(tree).get<double>();\n";
  if (HasComparableGradients(tree)) {
    std::string wrt;
    for (int i : used) wrt += (wrt.empty() ? "t" : ", t") + std::to_string(i);
    text += "auto gradients = neon::Autodiff(tree, be).get_grad_host_f64({" + wrt + "});\n";
  }
  return text;
}

RandomTree ShrinkRandomTree(const RandomTree& tree, const std::function<bool(const RandomTree&)>& fails,
                            int max_attempts) {
  RandomTree best = tree;
  int attempts = 0;
  bool shrunk = true;
  while (shrunk && attempts < max_attempts) {
    shrunk = false;
    std::vector<RandomNodePtr> nodes;
    CollectNodes(best.root, &nodes);
    for (const RandomNodePtr& node : nodes) {
      std::vector<RandomNodePtr> candidates;
      for (const RandomNodePtr& operand : node->operands) {
        // The root may become any operand: the output shape is free, inner shapes are not.
        if (operand->shape == node->shape || node == best.root) candidates.push_back(operand);
      }
      bool plain_leaf = node->op == "leaf" && best.leaves[node->leaf].view == RandomLeaf::View::kWhole &&
                        !best.leaves[node->leaf].has_special_values;
      if (!plain_leaf) candidates.push_back(nullptr);  // a fresh plain leaf
      for (RandomNodePtr candidate : candidates) {
        if (attempts++ >= max_attempts) return best;
        RandomTree trial = best;
        if (!candidate) {
          RandomLeaf leaf;
          leaf.base_shape = node->shape;
          leaf.values = TestValues(static_cast<size_t>(node->shape[0] * node->shape[1]), 0.2, 1.5, false, attempts);
          trial.leaves.push_back(std::move(leaf));
          candidate = MakeLeafNode(static_cast<int>(trial.leaves.size() - 1), node->shape);
        }
        trial.root = Replace(best.root, node.get(), candidate);
        if (fails(trial)) {
          best = std::move(trial);
          shrunk = true;
          break;
        }
      }
      if (shrunk) break;
    }
  }
  return best;
}

}  // namespace neon
