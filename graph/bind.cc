#include "graph/bind.h"

#include "core/error.h"
#include "core/scalar_ops.h"

namespace neon {

char LayoutOf(int64_t rows, int64_t cols, int64_t row_stride, int64_t col_stride) {
  if (col_stride == 1 || cols == 1) return 'c';
  if (row_stride == 1 || rows == 1) return 't';
  return 'g';
}

bool SameView(const Tensor& a, const Tensor& b) {
  return a.buffer() == b.buffer() && a.offset() == b.offset() && a.dtype() == b.dtype() &&
         a.rows2d() == b.rows2d() && a.cols2d() == b.cols2d() && a.row_stride2d() == b.row_stride2d() &&
         a.col_stride2d() == b.col_stride2d();
}

namespace {

class Binder {
 public:
  Binder(const Tensor& output, Binding& binding, BindingIndex* index)
      : output_(output), binding_(binding), index_(index) {}

  // Appends the subtree to the binding; returns its params index if it folded to one
  // scalar, else -1.
  int Visit(const Expr& expr) {
    const OpNode* node = expr.node();
    if (int live = LiveParam(node); live >= 0) {
      // A constant seen before (a shared node): the same param, and the key says so, so
      // every binding with this key shares params in the same places.
      binding_.key += 'S';
      AppendNumber(live);
      return live;
    }
    if (int seen = SeenNode(node); seen >= 0) {
      // A shared subtree is walked once: later uses are back-references, so the walk is
      // linear in the number of distinct nodes and the key tells sharing from repetition.
      binding_.key += 'N';
      AppendNumber(seen);
      return -1;
    }
    switch (expr.op()) {
      case OpKind::kScalar:
        return AddParam(node, expr.value());
      case OpKind::kTensor:
        AddLeaf(node, expr.tensor());
        return -1;
      default:
        break;
    }
    size_t key_mark = binding_.key.size();
    size_t param_mark = binding_.params.size();
    size_t node_mark = binding_.nodes.size();
    size_t journal_mark = journal_.size();
    int folded[2] = {-1, -1};
    bool all_folded = true;
    for (size_t i = 0; i < expr.operands().size(); ++i) {
      int param = Visit(expr.operands()[i]);
      if (i < 2) folded[i] = param;
      all_folded &= param >= 0;
    }
    if (all_folded && IsElementwise(expr.op())) {
      double x = binding_.params[folded[0]];
      double value = ClassOf(expr.op()) == OpClass::kUnary
                         ? ApplyUnary(expr.op(), x)
                         : ApplyBinary(expr.op(), x, binding_.params[folded[1]]);
      binding_.key.resize(key_mark);
      binding_.params.resize(param_mark);
      binding_.nodes.resize(node_mark);
      UndoParamsSince(journal_mark);
      return AddParam(node, value);
    }
    std::string& key = binding_.key;
    key += 'o';
    AppendNumber(static_cast<int>(expr.op()));
    if (IsReduction(expr.op()) || expr.op() == OpKind::kOnehot) key += static_cast<char>('a' + 1 + expr.axis());
    AppendUnitDims(expr.shape());
    if (index_) index_->node_of[node] = static_cast<int>(binding_.nodes.size());
    binding_.nodes.push_back(node);
    RememberNode(node, static_cast<int>(binding_.nodes.size() - 1));
    return -1;
  }

  // The params of nodes still in the binding (for the compiler).
  const std::vector<std::pair<const OpNode*, int>>& live_params() const { return journal_; }

  // Nodes given params, in order, with their params index; trees are small, so a linear
  // search beats a hash map (this walk runs on every assignment).
  int LiveParam(const OpNode* node) const {
    for (const auto& [owner, param] : journal_) {
      if (owner == node) return param;
    }
    return -1;
  }

 private:
  int AddParam(const OpNode* node, double value) {
    int param = static_cast<int>(binding_.params.size());
    journal_.emplace_back(node, param);
    binding_.params.push_back(value);
    binding_.key += 's';
    return param;
  }

  // A folded subtree's params are gone: forget the nodes that had them (a shared node
  // seen first inside the subtree gets a new param at its next use).
  void UndoParamsSince(size_t journal_mark) { journal_.resize(journal_mark); }

  void AppendNumber(int number) {
    char digits[12];
    int count = 0;
    do {
      digits[count++] = static_cast<char>('0' + number % 10);
      number /= 10;
    } while (number > 0);
    while (count > 0) binding_.key += digits[--count];
  }

  void AddLeaf(const OpNode* node, const Tensor& tensor) {
    if (&tensor.backend() != &output_.backend()) {
      throw BackendError("assign: operand '" + tensor.name() + "' lives on backend '" +
                         tensor.backend().instance_name() + "' but the output '" + output_.name() + "' lives on '" +
                         output_.backend().instance_name() + "' (copy it across first)");
    }
    int leaf = -1;
    for (size_t i = 0; i < binding_.leaves.size() && leaf < 0; ++i) {
      if (SameView(*binding_.leaves[i], tensor)) leaf = static_cast<int>(i);
    }
    if (leaf < 0) {
      leaf = static_cast<int>(binding_.leaves.size());
      binding_.leaves.push_back(&tensor);
    }
    if (index_) index_->leaf_of[node] = leaf;
    std::string& key = binding_.key;
    key += 'L';
    AppendNumber(leaf);
    key += static_cast<char>('0' + static_cast<int>(tensor.dtype()));
    key += LayoutOf(tensor.rows2d(), tensor.cols2d(), tensor.row_stride2d(), tensor.col_stride2d());
    key += tensor.buffer() != output_.buffer() ? 'n' : (SameView(tensor, output_) ? 'i' : 'o');
    AppendUnitDims({tensor.rows2d(), tensor.cols2d()});
  }

  // The nodes index of an unfolded node walked before, or -1. Small trees (every
  // assignment in a training loop) search a short list; large ones use a hash map.
  int SeenNode(const OpNode* node) const {
    if (seen_.size() <= kLinearSearchLimit) {
      for (const auto& [seen, index] : seen_) {
        if (seen == node) return index;
      }
      return -1;
    }
    auto found = seen_index_.find(node);
    return found == seen_index_.end() ? -1 : found->second;
  }

  void RememberNode(const OpNode* node, int index) {
    seen_.emplace_back(node, index);
    if (seen_.size() == kLinearSearchLimit + 1) seen_index_.insert(seen_.begin(), seen_.end());
    if (seen_.size() > kLinearSearchLimit + 1) seen_index_.emplace(node, index);
  }

  void AppendUnitDims(const Shape& shape) {
    binding_.key += static_cast<char>('0' + (shape[0] == 1) + 2 * (shape[1] == 1));
  }

  const Tensor& output_;
  Binding& binding_;
  BindingIndex* index_;
  std::vector<std::pair<const OpNode*, int>> journal_;  // nodes given params, in order
  static constexpr size_t kLinearSearchLimit = 32;
  std::vector<std::pair<const OpNode*, int>> seen_;     // unfolded operator nodes walked
  std::unordered_map<const OpNode*, int> seen_index_;   // the same, once seen_ is long
};

}  // namespace

Binding Bind(const Expr& value, const Tensor& output, BindingIndex* index) {
  Binding binding;
  binding.key.reserve(128);
  binding.leaves.reserve(4);
  binding.params.reserve(8);
  binding.nodes.reserve(16);
  binding.key += static_cast<char>('0' + static_cast<int>(output.dtype()));
  binding.key += LayoutOf(output.rows2d(), output.cols2d(), output.row_stride2d(), output.col_stride2d());
  binding.key += static_cast<char>('0' + (output.rows2d() == 1) + 2 * (output.cols2d() == 1));
  binding.key += static_cast<char>('0' + (value.shape()[0] == output.rows2d()) + 2 * (value.shape()[1] == output.cols2d()));
  binding.key += ':';
  Binder binder(output, binding, index);
  binder.Visit(value);
  if (index) index->param_of.insert(binder.live_params().begin(), binder.live_params().end());
  return binding;
}

}  // namespace neon
