#include "autodiff/autodiff.h"

#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "autodiff/evaluate.h"
#include "autodiff/gradient_rules.h"
#include "graph/error.h"

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

// ---- how a requested tensor relates to a leaf of the tree ----

enum class ViewRelation { kDisjoint, kSame, kTransposed, kOverlapping };

// Same elements in the same order: equal sizes, and equal strides on every axis longer than 1.
bool SameLayout(int64_t rows, int64_t cols, int64_t row_stride, int64_t col_stride, const Tensor& other) {
  return rows == other.rows2d() && cols == other.cols2d() && (rows <= 1 || row_stride == other.row_stride2d()) &&
         (cols <= 1 || col_stride == other.col_stride2d());
}

// [first, last] element offsets a 2-D view touches (strides are non-negative here).
std::pair<int64_t, int64_t> Extent(const Tensor& t) {
  return {t.offset(), t.offset() + (t.rows2d() - 1) * t.row_stride2d() + (t.cols2d() - 1) * t.col_stride2d()};
}

ViewRelation RelationOf(const Tensor& leaf, const Tensor& wanted) {
  if (leaf.buffer() != wanted.buffer() || leaf.size() == 0 || wanted.size() == 0) return ViewRelation::kDisjoint;
  if (leaf.offset() == wanted.offset() && leaf.dtype() == wanted.dtype()) {
    if (SameLayout(leaf.rows2d(), leaf.cols2d(), leaf.row_stride2d(), leaf.col_stride2d(), wanted)) {
      return ViewRelation::kSame;
    }
    if (SameLayout(leaf.cols2d(), leaf.rows2d(), leaf.col_stride2d(), leaf.row_stride2d(), wanted)) {
      return ViewRelation::kTransposed;
    }
  }
  auto [leaf_first, leaf_last] = Extent(leaf);
  auto [wanted_first, wanted_last] = Extent(wanted);
  size_t leaf_bytes = SizeOf(leaf.dtype());
  size_t wanted_bytes = SizeOf(wanted.dtype());
  bool disjoint = (leaf_last + 1) * leaf_bytes <= wanted_first * wanted_bytes ||
                  (wanted_last + 1) * wanted_bytes <= leaf_first * leaf_bytes;
  return disjoint ? ViewRelation::kDisjoint : ViewRelation::kOverlapping;
}

std::string Describe(const Tensor& t) {
  return "'" + t.name() + "' " + ShapeString(t.shape()) + " at offset " + std::to_string(t.offset()) +
         " with strides " + ShapeString(t.strides());
}

}  // namespace

Autodiff::Autodiff(const Expr& op_tree, Backend& backend, std::optional<Expr> next_error) : backend_(&backend) {
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

Expr Autodiff::GradientOf(const Tensor& tensor) {
  if (!tensor.defined()) throw ArgumentError("Autodiff: asked for the gradient of a null Tensor");
  std::optional<Expr> total;
  const std::vector<Tensor>& leaves = instance_->leaves();
  for (size_t leaf = 0; leaf < leaves.size(); ++leaf) {
    int grad_index = plan_->grad_of_leaf[leaf];
    if (grad_index < 0) continue;
    std::optional<Expr> part;
    switch (RelationOf(leaves[leaf], tensor)) {
      case ViewRelation::kDisjoint:
        continue;
      case ViewRelation::kSame:
        part = instance_->Get(grad_index);
        break;
      case ViewRelation::kTransposed:
        part = transpose(instance_->Get(grad_index));
        break;
      case ViewRelation::kOverlapping:
        throw ArgumentError("Autodiff: tensor " + Describe(tensor) + " overlaps the tree's operand " +
                            Describe(leaves[leaf]) +
                            " without being the same view or its transpose; ask for the gradient of the view "
                            "the tree uses (slices and reshapes are not mapped to their base)");
    }
    total = total ? *total + *part : *part;
  }
  return total ? *total : Expr(0.0);
}

std::vector<Expr> Autodiff::get_grad_op_tree(const std::vector<Tensor>& tensors) {
  std::vector<Expr> grads;
  grads.reserve(tensors.size());
  for (const Tensor& tensor : tensors) grads.push_back(GradientOf(tensor));
  return grads;
}

Expr Autodiff::get_grad_op_tree(const Tensor& tensor) { return GradientOf(tensor); }

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

void Autodiff::back_prop_grad(const std::vector<Tensor>& tensors, const std::vector<Tensor>& grads) {
  if (tensors.size() != grads.size()) {
    throw ArgumentError("back_prop_grad: " + std::to_string(tensors.size()) + " tensors but " +
                        std::to_string(grads.size()) + " gradient buffers (expected one buffer per tensor)");
  }
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (!grads[i].defined()) throw ArgumentError("back_prop_grad: gradient buffer " + std::to_string(i) + " is null");
    if (grads[i].rows2d() != tensors[i].rows2d() || grads[i].cols2d() != tensors[i].cols2d()) {
      throw ShapeError("back_prop_grad: gradient buffer " + Describe(grads[i]) + " does not match tensor " +
                       Describe(tensors[i]) + " (expected the same 2-D shape)");
    }
  }
  EvaluateAll(get_grad_op_tree(tensors), grads, *backend_);
}

void Autodiff::back_prop_grad(const Tensor& tensor, const Tensor& grad) {
  back_prop_grad(std::vector<Tensor>{tensor}, std::vector<Tensor>{grad});
}

AutodiffCacheStats GetAutodiffCacheStats() { return Cache().Stats(); }
void ClearAutodiffCache() { Cache().Clear(); }
size_t AutodiffCacheCapacity() { return Cache().capacity(); }
void SetAutodiffCacheCapacity(size_t capacity) { Cache().set_capacity(capacity); }

}  // namespace neon
