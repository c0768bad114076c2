#include "autodiff/evaluate.h"

#include <unordered_map>
#include <unordered_set>

#include "core/error.h"

namespace neon {

namespace {

// Nodes worth computing once for all trees: a reduction or GEMM re-read by every tree that uses it.
bool IsExpensive(OpKind op) { return IsReduction(op) || op == OpKind::kDot; }

void CountTrees(const Expr& expr, std::unordered_set<const OpNode*>& seen,
                std::unordered_map<const OpNode*, int>& trees_using) {
  if (!seen.insert(expr.node()).second) return;
  if (IsExpensive(expr.op())) ++trees_using[expr.node()];
  for (const Expr& operand : expr.operands()) CountTrees(operand, seen, trees_using);
}

void CollectBuffers(const Expr& expr, std::unordered_set<const OpNode*>& seen,
                    std::unordered_set<const Buffer*>& buffers) {
  if (!seen.insert(expr.node()).second) return;
  if (expr.op() == OpKind::kTensor) buffers.insert(expr.tensor().buffer().get());
  for (const Expr& operand : expr.operands()) CollectBuffers(operand, seen, buffers);
}

bool AllFloat32(const Expr& expr, std::unordered_set<const OpNode*>& seen) {
  if (!seen.insert(expr.node()).second) return true;
  if (expr.op() == OpKind::kTensor) return expr.tensor().dtype() == DType::kFloat32;
  for (const Expr& operand : expr.operands()) {
    if (!AllFloat32(operand, seen)) return false;
  }
  return true;
}

// Rebuilds trees with the shared expensive nodes replaced by temporaries holding their
// values, and with broadcast operands hoisted: a (rows, 1), (1, cols) or (1, 1) subtree
// under a larger elementwise op is computed once into a small temporary instead of at
// every element of the large one (gradients are full of such per-row factors).
class SharedEvaluator {
 public:
  SharedEvaluator(std::unordered_set<const OpNode*> shared, DType dtype, Backend& backend)
      : shared_(std::move(shared)), dtype_(dtype), backend_(backend) {}

  Expr Rebuild(const Expr& expr) {
    if (auto found = memo_.find(expr.node()); found != memo_.end()) return found->second;
    Expr result = expr;
    if (!expr.operands().empty()) {
      std::vector<Expr> operands;
      bool changed = false;
      for (const Expr& operand : expr.operands()) {
        Expr rebuilt = Rebuild(operand);
        if (IsElementwise(expr.op()) && operand.shape() != expr.shape() && WorthHoisting(operand)) {
          rebuilt = Hoist(operand, rebuilt);
        }
        changed |= rebuilt.node() != operand.node();
        operands.push_back(std::move(rebuilt));
      }
      if (changed) result = Expr::Make(expr.op(), std::move(operands), expr.axis(), expr.count());
    }
    if (shared_.count(expr.node())) result = Materialize(result);
    memo_.emplace(expr.node(), result);
    return result;
  }

 private:
  // An op over tensor data (a constant folds anyway) without rand(), whose broadcast
  // operand draws one value per element of the larger op.
  bool WorthHoisting(const Expr& expr) {
    if (expr.op() == OpKind::kTensor || expr.op() == OpKind::kScalar) return false;
    const Traits& traits = TraitsOf(expr);
    return traits.reads_tensor && !traits.draws_random;
  }

  struct Traits {
    bool reads_tensor = false;
    bool draws_random = false;
  };

  const Traits& TraitsOf(const Expr& expr) {
    if (auto found = traits_.find(expr.node()); found != traits_.end()) return found->second;
    Traits traits;
    traits.reads_tensor = expr.op() == OpKind::kTensor;
    traits.draws_random = expr.op() == OpKind::kRand;
    for (const Expr& operand : expr.operands()) {
      const Traits& inner = TraitsOf(operand);
      traits.reads_tensor |= inner.reads_tensor;
      traits.draws_random |= inner.draws_random;
    }
    return traits_.emplace(expr.node(), traits).first->second;
  }

  Expr Hoist(const Expr& original, const Expr& rebuilt) {
    if (rebuilt.op() == OpKind::kTensor) return rebuilt;
    if (auto found = hoisted_.find(original.node()); found != hoisted_.end()) return found->second;
    Expr value = Materialize(rebuilt);
    hoisted_.emplace(original.node(), value);
    return value;
  }

  Expr Materialize(const Expr& value) {
    Tensor temp(backend_, value.shape(), dtype_, "temp");
    temp.assign(value);
    return Expr(temp);
  }

  std::unordered_set<const OpNode*> shared_;
  DType dtype_;
  Backend& backend_;
  std::unordered_map<const OpNode*, Expr> memo_;
  std::unordered_map<const OpNode*, Expr> hoisted_;
  std::unordered_map<const OpNode*, Traits> traits_;
};

// A pending target that no other pending tree reads, or -1.
int NextWritable(const std::vector<Tensor>& targets, const std::vector<std::unordered_set<const Buffer*>>& reads,
                 const std::vector<bool>& done) {
  for (size_t i = 0; i < targets.size(); ++i) {
    if (done[i]) continue;
    bool read_by_other = false;
    for (size_t j = 0; j < targets.size(); ++j) {
      if (j != i && !done[j] && reads[j].count(targets[i].buffer().get())) read_by_other = true;
    }
    if (!read_by_other) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace

void EvaluateAll(const std::vector<Expr>& values, const std::vector<Tensor>& targets, Backend& backend) {
  if (values.size() != targets.size()) {
    throw ArgumentError("EvaluateAll: " + std::to_string(values.size()) + " values for " +
                        std::to_string(targets.size()) + " targets (expected one target per value)");
  }
  for (const Expr& value : values) CheckTreeDepth(value, "gradient evaluation");
  bool float32 = true;
  std::unordered_map<const OpNode*, int> trees_using;
  {
    std::unordered_set<const OpNode*> dtype_seen;
    for (size_t i = 0; i < values.size(); ++i) {
      std::unordered_set<const OpNode*> seen;
      CountTrees(values[i], seen, trees_using);
      float32 &= targets[i].dtype() == DType::kFloat32 && AllFloat32(values[i], dtype_seen);
    }
  }
  std::unordered_set<const OpNode*> shared;
  for (const auto& [node, trees] : trees_using) {
    if (trees > 1) shared.insert(node);
  }
  SharedEvaluator evaluator(std::move(shared), float32 ? DType::kFloat32 : DType::kFloat64, backend);
  std::vector<Expr> pending;
  std::vector<std::unordered_set<const Buffer*>> reads(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    pending.push_back(evaluator.Rebuild(values[i]));
    std::unordered_set<const OpNode*> seen;
    CollectBuffers(pending[i], seen, reads[i]);
  }
  std::vector<bool> done(values.size(), false);
  for (size_t remaining = values.size(); remaining > 0; --remaining) {
    int next = NextWritable(targets, reads, done);
    if (next < 0) {
      // Every pending target is read by another pending tree: stage all of them first.
      for (size_t i = 0; i < values.size(); ++i) {
        if (done[i]) continue;
        Tensor staged(backend, {targets[i].rows2d(), targets[i].cols2d()}, targets[i].dtype(), "staged");
        staged.assign(pending[i]);
        pending[i] = Expr(staged);
        reads[i] = {staged.buffer().get()};
      }
      next = NextWritable(targets, reads, done);
    }
    Tensor target = targets[next];
    target.assign(pending[next]);
    done[next] = true;
  }
}

}  // namespace neon
