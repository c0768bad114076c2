// Tape: an op-tree recorded as a flat list of nodes with structurally equal
// subtrees merged (hash-consing; distinct rand() nodes stay distinct draws) and
// tensor leaves numbered by view identity.
// Its key names the structure (ops, axes, shapes, dtypes, constants, which
// leaves are the same view), so work derived from one tree (its gradients)
// serves every tree with the same key: the tape is re-instantiated over the
// new tree's tensors. A tape holds no tensors, so caching it holds no memory.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "graph/expr.h"
#include "graph/tensor.h"

namespace neon {

struct TapeNode {
  OpKind op = OpKind::kScalar;
  std::vector<int> operands;  // indices of earlier nodes
  int axis = kAllAxes;
  int64_t count = 0;
  double value = 0.0;         // kScalar
  int leaf = -1;              // kTensor: index into the recorder's leaves
};

// Records expressions into one tape; records made later may refer to earlier nodes.
class TapeRecorder {
 public:
  // The tape index of `expr` (recording it and everything under it if new).
  int Record(const Expr& expr);
  // Makes `expr` (an instantiation of node `index`) resolve to `index` without a walk.
  void Alias(const Expr& expr, int index) { by_node_[expr.node()] = index; }

  const std::vector<TapeNode>& nodes() const { return nodes_; }
  const std::vector<Tensor>& leaves() const { return leaves_; }
  // The structure so far: one token per node, leaves by number, dtype and shape.
  const std::string& key() const { return key_; }

 private:
  int Add(TapeNode node, std::string signature);
  int LeafIndex(const Tensor& tensor);

  std::vector<TapeNode> nodes_;
  std::vector<Tensor> leaves_;
  std::unordered_map<const OpNode*, int> by_node_;
  std::unordered_map<std::string, int> by_signature_;
  std::string key_;
  int rand_count_ = 0;
};

// Expressions for tape nodes over a given set of leaf tensors, built on demand
// and shared (each node is made once, so shared subtrees stay shared).
class TapeInstance {
 public:
  TapeInstance(const std::vector<TapeNode>* nodes, std::vector<Tensor> leaves)
      : nodes_(nodes), leaves_(std::move(leaves)), made_(nodes->size()) {}

  const Expr& Get(int index);
  const std::vector<Tensor>& leaves() const { return leaves_; }

 private:
  const std::vector<TapeNode>* nodes_;
  std::vector<Tensor> leaves_;
  std::vector<std::optional<Expr>> made_;
};

}  // namespace neon
