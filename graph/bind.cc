#include "graph/bind.h"

#include "graph/error.h"
#include "graph/scalar_ops.h"

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

  // Appends the subtree to the binding; returns whether it folded to one scalar.
  bool Visit(const Expr& expr) {
    const OpNode* node = expr.node();
    switch (expr.op()) {
      case OpKind::kScalar:
        AddParam(node, expr.value());
        return true;
      case OpKind::kTensor:
        AddLeaf(node, expr.tensor());
        return false;
      default:
        break;
    }
    size_t key_mark = binding_.key.size();
    size_t param_mark = binding_.params.size();
    size_t node_mark = binding_.nodes.size();
    size_t journal_mark = journal_.size();
    bool all_folded = true;
    for (const Expr& operand : expr.operands()) all_folded &= Visit(operand);
    if (all_folded && IsElementwise(expr.op())) {
      double x = binding_.params[param_mark];
      double value = ClassOf(expr.op()) == OpClass::kUnary
                         ? ApplyUnary(expr.op(), x)
                         : ApplyBinary(expr.op(), x, binding_.params[param_mark + 1]);
      binding_.key.resize(key_mark);
      binding_.params.resize(param_mark);
      binding_.nodes.resize(node_mark);
      UndoParamsSince(journal_mark);
      AddParam(node, value);
      return true;
    }
    std::string& key = binding_.key;
    key += 'o';
    key += std::to_string(static_cast<int>(expr.op()));
    if (IsReduction(expr.op()) || expr.op() == OpKind::kOnehot) key += static_cast<char>('a' + 1 + expr.axis());
    AppendUnitDims(expr.shape());
    if (index_) index_->node_of[node] = static_cast<int>(binding_.nodes.size());
    binding_.nodes.push_back(node);
    return false;
  }

 private:
  void AddParam(const OpNode* node, double value) {
    if (index_) {
      auto found = index_->param_of.find(node);
      journal_.emplace_back(node, found == index_->param_of.end() ? -1 : found->second);
      index_->param_of[node] = static_cast<int>(binding_.params.size());
    }
    binding_.params.push_back(value);
    binding_.key += 's';
  }

  // A folded subtree's params are gone: a node shared with the rest of the tree must map
  // back to the param it had before (or to none), not to a dropped index.
  void UndoParamsSince(size_t journal_mark) {
    while (journal_.size() > journal_mark) {
      auto [node, previous] = journal_.back();
      journal_.pop_back();
      if (previous < 0) {
        index_->param_of.erase(node);
      } else {
        index_->param_of[node] = previous;
      }
    }
  }

  void AddLeaf(const OpNode* node, const Tensor& tensor) {
    if (&tensor.backend() != &output_.backend()) {
      throw BackendError("assign: operand '" + tensor.name() + "' lives on backend '" + tensor.backend().info().name +
                         "' but the output '" + output_.name() + "' lives on '" + output_.backend().info().name +
                         "' (copy it across first)");
    }
    int leaf = -1;
    for (size_t i = 0; i < binding_.leaves.size(); ++i) {
      if (SameView(binding_.leaves[i], tensor)) leaf = static_cast<int>(i);
    }
    if (leaf < 0) {
      leaf = static_cast<int>(binding_.leaves.size());
      binding_.leaves.push_back(tensor);
    }
    if (index_) index_->leaf_of[node] = leaf;
    std::string& key = binding_.key;
    key += 'L';
    key += std::to_string(leaf);
    key += static_cast<char>('0' + static_cast<int>(tensor.dtype()));
    key += LayoutOf(tensor.rows2d(), tensor.cols2d(), tensor.row_stride2d(), tensor.col_stride2d());
    key += tensor.buffer() != output_.buffer() ? 'n' : (SameView(tensor, output_) ? 'i' : 'o');
    AppendUnitDims({tensor.rows2d(), tensor.cols2d()});
  }

  void AppendUnitDims(const Shape& shape) {
    binding_.key += static_cast<char>('0' + (shape[0] == 1) + 2 * (shape[1] == 1));
  }

  const Tensor& output_;
  Binding& binding_;
  BindingIndex* index_;
  std::vector<std::pair<const OpNode*, int>> journal_;  // (node, its previous param or -1)
};

}  // namespace

Binding Bind(const Expr& value, const Tensor& output, BindingIndex* index) {
  Binding binding;
  binding.key.reserve(64);
  binding.key += static_cast<char>('0' + static_cast<int>(output.dtype()));
  binding.key += LayoutOf(output.rows2d(), output.cols2d(), output.row_stride2d(), output.col_stride2d());
  binding.key += static_cast<char>('0' + (output.rows2d() == 1) + 2 * (output.cols2d() == 1));
  binding.key += static_cast<char>('0' + (value.shape()[0] == output.rows2d()) + 2 * (value.shape()[1] == output.cols2d()));
  binding.key += ':';
  Binder(output, binding, index).Visit(value);
  return binding;
}

}  // namespace neon
