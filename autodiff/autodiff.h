// Autodiff over op-trees (the seed's neon.backends.Autodiff): reverse mode
// over the tree with the rules of gradient_rules.h. Gradients come back as
// op-trees, so every backend evaluates them fused, or evaluated into tensors.
//
//   Expr f = 1.0 / (1.0 + exp(-1.0 * x));
//   Autodiff ad(f, be);                     // next_error defaults to ones
//   Tensor dx = ad.get_grad_tensor(x);
//   ad.back_prop_grad({x, gamma}, {dx_buffer, dgamma_buffer});
//
// Structure cache: constructing an Autodiff for a tree with the same structure
// as an earlier one (same ops, shapes, dtypes, constants and leaf identities,
// e.g. a layer's bprop building one per step) reuses the derived gradients;
// the cache holds no tensors and keeps at most AutodiffCacheCapacity() entries
// (least recently used evicted first).
//
// Views: a tensor is identified by its storage view. Asking for the gradient
// of X collects every leaf of the tree that is X's view or its transpose
// (X.T(), or a reshape that only swaps a unit axis). Leaves that are a row /
// column slice of X (same strides) or a reshape of contiguous X are routed
// into their part of X's gradient by get_grad_tensor / get_grad_host /
// back_prop_grad; get_grad_op_tree cannot express that and throws
// ArgumentError. A leaf overlapping X any other way is an ArgumentError naming
// both. A tensor used several times accumulates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "autodiff/tape.h"
#include "autodiff/view_relation.h"
#include "graph/expr.h"
#include "graph/tensor.h"

namespace neon {

struct AutodiffPlan;

class Autodiff {
 public:
  // Gradients of `op_tree` weighted by `next_error` (the gradient flowing into the tree's
  // output; ones when absent). next_error must have the tree's shape (else ShapeError).
  // Result tensors are made on `backend`.
  Autodiff(const Expr& op_tree, Backend& backend, std::optional<Expr> next_error = std::nullopt);

  // The gradient of each tensor as an op-tree. It may have a unit axis where the tensor
  // has more (the gradient is constant along it); assigning it into the tensor's shape
  // broadcasts. A tensor the tree does not use gets the scalar 0.
  std::vector<Expr> get_grad_op_tree(const std::vector<Tensor>& tensors);
  Expr get_grad_op_tree(const Tensor& tensor);

  // The gradients evaluated into new tensors of each tensor's shape and dtype.
  std::vector<Tensor> get_grad_tensor(const std::vector<Tensor>& tensors);
  Tensor get_grad_tensor(const Tensor& tensor);

  // The gradients on the host, row-major (neon's get_grad_asnumpyarray).
  std::vector<std::vector<float>> get_grad_host(const std::vector<Tensor>& tensors);
  std::vector<float> get_grad_host(const Tensor& tensor);
  std::vector<std::vector<double>> get_grad_host_f64(const std::vector<Tensor>& tensors);

  // Evaluates the gradients into preallocated `grads` (one per tensor, same 2-D shape).
  // Safe when a grads buffer is also read by the gradients, e.g. is next_error itself.
  // All gradients are evaluated together (evaluate.h): shared reductions run once.
  void back_prop_grad(const std::vector<Tensor>& tensors, const std::vector<Tensor>& grads);
  void back_prop_grad(const Tensor& tensor, const Tensor& grad);

  // Whether construction reused a cached derivation.
  bool from_cache() const { return from_cache_; }

 private:
  // Where the gradient of a tensor comes from: leaves that are the tensor's view (or its
  // transpose) give `whole`; leaves that are a slice or a reshape of it give pieces.
  struct Placement {
    struct Piece {
      Expr grad;
      Tensor leaf;
      ViewRelation relation;
    };
    std::optional<Expr> whole;
    std::vector<Piece> pieces;
  };
  Placement PlaceGradient(const Tensor& tensor);

  Backend* backend_;
  std::shared_ptr<const AutodiffPlan> plan_;
  std::optional<TapeInstance> instance_;
  bool from_cache_ = false;
};

struct AutodiffCacheStats {
  uint64_t hits = 0;    // constructions that reused a derivation
  uint64_t misses = 0;  // derivations made
  size_t size = 0;      // derivations held
};
AutodiffCacheStats GetAutodiffCacheStats();
void ClearAutodiffCache();
size_t AutodiffCacheCapacity();
void SetAutodiffCacheCapacity(size_t capacity);  // evicts down to it

}  // namespace neon
