#include "autodiff/autodiff.h"

#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "autodiff/evaluate.h"
#include "autodiff/gradient_rules.h"
#include "autodiff/view_relation.h"
#include "core/error.h"

namespace neon {

// A derivation: the forward tree and its gradients on one tape, plus where each
// leaf's gradient is. Holds no tensors; instantiated over each Autodiff's leaves.
struct AutodiffPlan {
  std::vector<TapeNode> nodes;
  std::vector<int> grad_of_leaf;  // per recorder leaf: tape index of its gradient, or -1
};

namespace {

// ---- the structure cache (bounded LRU) ----

class PlanCache {
 public:
  std::shared_ptr<const AutodiffPlan> Find(const std::string& key) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = index_.find(key);
    if (found == index_.end()) return nullptr;
    entries_.splice(entries_.begin(), entries_, found->second);
    ++stats_.hits;
    return found->second->second;
  }

  void Store(const std::string& key, std::shared_ptr<const AutodiffPlan> plan) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++stats_.misses;
    if (index_.count(key) || capacity_ == 0) return;
    entries_.emplace_front(key, std::move(plan));
    index_[key] = entries_.begin();
    EvictLocked();
  }

  AutodiffCacheStats Stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    AutodiffCacheStats stats = stats_;
    stats.size = entries_.size();
    return stats;
  }

  void Clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    entries_.clear();
    index_.clear();
    stats_ = {};
  }

  size_t capacity() {
    std::lock_guard<std::mutex> lock(mutex_);
    return capacity_;
  }

  void set_capacity(size_t capacity) {
    std::lock_guard<std::mutex> lock(mutex_);
    capacity_ = capacity;
    EvictLocked();
  }

 private:
  using Entry = std::pair<std::string, std::shared_ptr<const AutodiffPlan>>;

  void EvictLocked() {
    while (entries_.size() > capacity_) {
      index_.erase(entries_.back().first);
      entries_.pop_back();
    }
  }

  std::mutex mutex_;
  std::list<Entry> entries_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  AutodiffCacheStats stats_;
  size_t capacity_ = 256;
};

PlanCache& Cache() {
  static PlanCache* cache = new PlanCache();  // never destroyed: usable during static teardown
  return *cache;
}

// ---- reverse mode ----

class ReverseMode {
 public:
  // Gradients of `root` (weighted by `upstream`) for every tensor leaf node below it.
  std::unordered_map<const OpNode*, Expr> Run(const Expr& root, const Expr& upstream) {
    if (!NeedsGrad(root)) return {};
    std::vector<Expr> order;
    std::unordered_set<const OpNode*> visited;
    PostOrder(root, visited, order);
    grads_.emplace(root.node(), upstream);
    std::unordered_map<const OpNode*, Expr> leaf_grads;
    for (auto node = order.rbegin(); node != order.rend(); ++node) {
      auto grad = grads_.find(node->node());
      if (grad == grads_.end()) continue;  // no gradient reaches it
      if (node->op() == OpKind::kTensor) {
        leaf_grads.emplace(node->node(), grad->second);
        continue;
      }
      OperandGrads operand_grads = GradientRuleFor(node->op())(*node, grad->second);
      for (size_t i = 0; i < operand_grads.size(); ++i) {
        const Expr& operand = node->operand(static_cast<int>(i));
        if (!operand_grads[i] || !NeedsGrad(operand)) continue;
        // Elementwise ops broadcast their operands to the node's shape; other ops do not.
        const Shape& broadcast = IsElementwise(node->op()) ? node->shape() : operand.shape();
        Accumulate(operand, ReduceToShape(*operand_grads[i], operand.shape(), broadcast));
      }
    }
    return leaf_grads;
  }

 private:
  // Whether a tensor leaf is at or below `expr` (only those subtrees are differentiated).
  bool NeedsGrad(const Expr& expr) {
    if (auto found = needs_.find(expr.node()); found != needs_.end()) return found->second;
    bool needs = expr.op() == OpKind::kTensor;
    for (const Expr& operand : expr.operands()) needs |= NeedsGrad(operand);
    needs_.emplace(expr.node(), needs);
    return needs;
  }

  void PostOrder(const Expr& expr, std::unordered_set<const OpNode*>& visited, std::vector<Expr>& order) {
    if (!NeedsGrad(expr) || !visited.insert(expr.node()).second) return;
    for (const Expr& operand : expr.operands()) PostOrder(operand, visited, order);
    order.push_back(expr);
  }

  void Accumulate(const Expr& node, const Expr& grad) {
    auto [slot, inserted] = grads_.emplace(node.node(), grad);
    if (!inserted) slot->second = slot->second + grad;
  }

  std::unordered_map<const OpNode*, bool> needs_;
  std::unordered_map<const OpNode*, Expr> grads_;
};

// Differentiates the recorded tree (root, optional upstream) and records the gradients on the tape.
std::shared_ptr<const AutodiffPlan> Derive(TapeRecorder& recorder, int root, int upstream) {
  std::vector<TapeNode> forward_nodes = recorder.nodes();
  TapeInstance forward(&forward_nodes, recorder.leaves());
  for (size_t i = 0; i < forward_nodes.size(); ++i) recorder.Alias(forward.Get(static_cast<int>(i)), static_cast<int>(i));
  Expr upstream_expr = upstream >= 0 ? forward.Get(upstream) : Expr(1.0);
  std::unordered_map<const OpNode*, Expr> leaf_grads = ReverseMode().Run(forward.Get(root), upstream_expr);

  auto plan = std::make_shared<AutodiffPlan>();
  plan->grad_of_leaf.assign(recorder.leaves().size(), -1);
  for (size_t i = 0; i < forward_nodes.size(); ++i) {
    if (forward_nodes[i].op != OpKind::kTensor) continue;
    auto grad = leaf_grads.find(forward.Get(static_cast<int>(i)).node());
    if (grad != leaf_grads.end()) plan->grad_of_leaf[forward_nodes[i].leaf] = recorder.Record(grad->second);
  }
  plan->nodes = recorder.nodes();
  return plan;
}

}  // namespace

Autodiff::Autodiff(const Expr& op_tree, Backend& backend, std::optional<Expr> next_error) : backend_(&backend) {
  CheckTreeDepth(op_tree, "Autodiff");
  if (next_error) CheckTreeDepth(*next_error, "Autodiff (next_error)");
  TapeRecorder recorder;
  int root = recorder.Record(op_tree);
  int upstream = -1;
  if (next_error) {
    if (next_error->shape() != op_tree.shape()) {
      throw ShapeError("Autodiff: next_error has shape " + ShapeString(next_error->shape()) +
                       " but the op-tree has shape " + ShapeString(op_tree.shape()) + " (they must be equal)");
    }
    upstream = recorder.Record(*next_error);
  }
  std::string key = recorder.key() + "|" + std::to_string(root) + "|" + std::to_string(upstream);
  plan_ = Cache().Find(key);
  from_cache_ = plan_ != nullptr;
  if (!plan_) {
    plan_ = Derive(recorder, root, upstream);
    Cache().Store(key, plan_);
  }
  instance_.emplace(&plan_->nodes, recorder.leaves());
}

Autodiff::Placement Autodiff::PlaceGradient(const Tensor& tensor) {
  if (!tensor.defined()) throw ArgumentError("Autodiff: asked for the gradient of a null Tensor");
  Placement placement;
  const std::vector<Tensor>& leaves = instance_->leaves();
  for (size_t leaf = 0; leaf < leaves.size(); ++leaf) {
    int grad_index = plan_->grad_of_leaf[leaf];
    if (grad_index < 0) continue;
    ViewRelation relation = RelationOf(leaves[leaf], tensor);
    std::optional<Expr> whole;
    switch (relation.kind) {
      case ViewRelation::Kind::kDisjoint:
        continue;
      case ViewRelation::Kind::kSame:
        whole = instance_->Get(grad_index);
        break;
      case ViewRelation::Kind::kTransposed:
        whole = transpose(instance_->Get(grad_index));
        break;
      case ViewRelation::Kind::kBlock:
      case ViewRelation::Kind::kReshape:
        placement.pieces.push_back({instance_->Get(grad_index), leaves[leaf], relation});
        continue;
      case ViewRelation::Kind::kOverlapping:
        throw ArgumentError("Autodiff: tensor " + DescribeView(tensor) + " overlaps the tree's operand " +
                            DescribeView(leaves[leaf]) +
                            " without being the same view, its transpose, a block of the same row-major matrix "
                            "or a reshape of it; ask for the gradient of the view the tree uses");
    }
    placement.whole = placement.whole ? *placement.whole + *whole : *whole;
  }
  return placement;
}

std::vector<Expr> Autodiff::get_grad_op_tree(const std::vector<Tensor>& tensors) {
  std::vector<Expr> grads;
  grads.reserve(tensors.size());
  for (const Tensor& tensor : tensors) grads.push_back(get_grad_op_tree(tensor));
  return grads;
}

Expr Autodiff::get_grad_op_tree(const Tensor& tensor) {
  Placement placement = PlaceGradient(tensor);
  if (!placement.pieces.empty()) {
    throw ArgumentError("get_grad_op_tree: the tree uses " + DescribeView(placement.pieces[0].leaf) +
                        ", which overlaps tensor " + DescribeView(tensor) + " as a slice or reshape" +
                        "; an op-tree cannot place a gradient into part of a tensor (use get_grad_tensor or "
                        "back_prop_grad, or ask for the gradient of the view the tree uses)");
  }
  return placement.whole ? *placement.whole : Expr(0.0);
}

std::vector<Tensor> Autodiff::get_grad_tensor(const std::vector<Tensor>& tensors) {
  std::vector<Tensor> grads;
  for (const Tensor& tensor : tensors) {
    if (!tensor.defined()) throw ArgumentError("Autodiff: asked for the gradient of a null Tensor");
    grads.emplace_back(*backend_, tensor.shape(), tensor.dtype(), "grad_" + tensor.name());
  }
  back_prop_grad(tensors, grads);
  return grads;
}

Tensor Autodiff::get_grad_tensor(const Tensor& tensor) { return get_grad_tensor(std::vector<Tensor>{tensor})[0]; }

std::vector<std::vector<float>> Autodiff::get_grad_host(const std::vector<Tensor>& tensors) {
  std::vector<std::vector<float>> host;
  for (const Tensor& grad : get_grad_tensor(tensors)) host.push_back(grad.get<float>());
  return host;
}

std::vector<float> Autodiff::get_grad_host(const Tensor& tensor) { return get_grad_host(std::vector<Tensor>{tensor})[0]; }

std::vector<std::vector<double>> Autodiff::get_grad_host_f64(const std::vector<Tensor>& tensors) {
  std::vector<std::vector<double>> host;
  for (const Tensor& grad : get_grad_tensor(tensors)) host.push_back(grad.get<double>());
  return host;
}

namespace {

// Where a piece's gradient goes: (region of the grads buffer, region of the leaf's gradient).
std::pair<Tensor, Tensor> RegionsOf(const Tensor& grad, const Tensor& part, const ViewRelation& relation) {
  Tensor grad2d = grad.ndim() == 2 ? grad : grad.reshape({grad.rows2d(), grad.cols2d()});
  if (relation.kind == ViewRelation::Kind::kReshape) return {grad2d.reshape(part.shape()), part};
  return {grad2d.rows(relation.row, relation.row + relation.rows).cols(relation.col, relation.col + relation.cols),
          part.rows(relation.leaf_row, relation.leaf_row + relation.rows)
              .cols(relation.leaf_col, relation.leaf_col + relation.cols)};
}

}  // namespace

void Autodiff::back_prop_grad(const std::vector<Tensor>& tensors, const std::vector<Tensor>& grads) {
  if (tensors.size() != grads.size()) {
    throw ArgumentError("back_prop_grad: " + std::to_string(tensors.size()) + " tensors but " +
                        std::to_string(grads.size()) + " gradient buffers (expected one buffer per tensor)");
  }
  std::vector<Expr> values;
  std::vector<Tensor> targets;
  std::vector<std::pair<Tensor, Tensor>> additions;  // (region of a grads buffer, temporary to add)
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (!grads[i].defined()) throw ArgumentError("back_prop_grad: gradient buffer " + std::to_string(i) + " is null");
    if (grads[i].rows2d() != tensors[i].rows2d() || grads[i].cols2d() != tensors[i].cols2d()) {
      throw ShapeError("back_prop_grad: gradient buffer " + DescribeView(grads[i]) + " does not match tensor " +
                       DescribeView(tensors[i]) + " (expected the same 2-D shape)");
    }
    Placement placement = PlaceGradient(tensors[i]);
    values.push_back(placement.whole ? *placement.whole : Expr(0.0));
    targets.push_back(grads[i]);
    for (const Placement::Piece& piece : placement.pieces) {
      // Evaluated with the rest (before any buffer is written), added into its region after.
      Tensor part(*backend_, {piece.leaf.rows2d(), piece.leaf.cols2d()}, grads[i].dtype(), "part");
      values.push_back(piece.grad);
      targets.push_back(part);
      additions.push_back(RegionsOf(grads[i], part, piece.relation));
    }
  }
  EvaluateAll(values, targets, *backend_);
  for (auto& [region, part] : additions) region.assign(region + part);
}

void Autodiff::back_prop_grad(const Tensor& tensor, const Tensor& grad) {
  back_prop_grad(std::vector<Tensor>{tensor}, std::vector<Tensor>{grad});
}

AutodiffCacheStats GetAutodiffCacheStats() { return Cache().Stats(); }
void ClearAutodiffCache() { Cache().Clear(); }
size_t AutodiffCacheCapacity() { return Cache().capacity(); }
void SetAutodiffCacheCapacity(size_t capacity) { Cache().set_capacity(capacity); }

}  // namespace neon
