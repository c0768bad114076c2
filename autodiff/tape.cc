#include "autodiff/tape.h"

#include <cstdio>

#include "graph/bind.h"

namespace neon {

int TapeRecorder::Record(const Expr& expr) {
  if (auto found = by_node_.find(expr.node()); found != by_node_.end()) return found->second;
  TapeNode node;
  node.op = expr.op();
  std::string signature = std::to_string(static_cast<int>(node.op));
  if (node.op == OpKind::kTensor) {
    node.leaf = LeafIndex(expr.tensor());
    const Tensor& tensor = expr.tensor();
    signature += "L" + std::to_string(node.leaf) + DTypeName(tensor.dtype())[0] + "(" +
                 std::to_string(tensor.rows2d()) + "," + std::to_string(tensor.cols2d()) + ")";
  } else if (node.op == OpKind::kScalar) {
    node.value = expr.value();
    char text[32];
    std::snprintf(text, sizeof(text), "=%a", node.value);  // exact, so equal keys mean equal values
    signature += text;
  } else {
    if (node.op == OpKind::kRand) signature += "#" + std::to_string(rand_count_++);  // each draw is its own
    node.axis = expr.axis();
    node.count = expr.count();
    signature += "a" + std::to_string(node.axis) + "c" + std::to_string(node.count) + "[";
    for (const Expr& operand : expr.operands()) {
      int index = Record(operand);
      node.operands.push_back(index);
      signature += std::to_string(index) + ",";
    }
    signature += "]";
  }
  int index = Add(std::move(node), std::move(signature));
  by_node_[expr.node()] = index;
  return index;
}

int TapeRecorder::Add(TapeNode node, std::string signature) {
  if (auto found = by_signature_.find(signature); found != by_signature_.end()) return found->second;
  int index = static_cast<int>(nodes_.size());
  nodes_.push_back(std::move(node));
  key_ += signature;
  key_ += ';';
  by_signature_.emplace(std::move(signature), index);
  return index;
}

int TapeRecorder::LeafIndex(const Tensor& tensor) {
  for (size_t i = 0; i < leaves_.size(); ++i) {
    if (SameView(leaves_[i], tensor)) return static_cast<int>(i);
  }
  leaves_.push_back(tensor);
  return static_cast<int>(leaves_.size() - 1);
}

const Expr& TapeInstance::Get(int index) {
  std::optional<Expr>& slot = made_[index];
  if (slot) return *slot;
  const TapeNode& node = (*nodes_)[index];
  if (node.op == OpKind::kTensor) {
    slot = Expr(leaves_[node.leaf]);
  } else if (node.op == OpKind::kScalar) {
    slot = Expr(node.value);
  } else {
    std::vector<Expr> operands;
    operands.reserve(node.operands.size());
    for (int operand : node.operands) operands.push_back(Get(operand));
    slot = Expr::Make(node.op, std::move(operands), node.axis, node.count);
  }
  return *slot;
}

}  // namespace neon
