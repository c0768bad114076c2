// Binding: one walk over an assignment's op-tree that yields both the plan
// cache key (the tree's structure: ops, dtypes, broadcast pattern, layouts,
// which leaves alias each other or the output) and the runtime values a cached
// plan needs (distinct tensor leaves, folded scalar constants, node shapes).
// Scalar-only subtrees are folded here, so `(1 - rho) * x` costs one parameter.
#pragma once

#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "graph/expr.h"
#include "graph/tensor.h"

namespace neon {

// Where the compiler finds each node of the tree in the binding (compile time only).
struct BindingIndex {
  std::unordered_map<const OpNode*, int> param_of;  // folded scalar subtree -> params index
  std::unordered_map<const OpNode*, int> leaf_of;   // tensor leaf -> leaves index
  std::unordered_map<const OpNode*, int> node_of;   // any other node -> nodes index
};

struct Binding {
  std::string key;
  std::vector<const Tensor*> leaves;     // distinct views, in first-use order (owned by the tree)
  std::vector<double> params;            // folded scalar values, in walk order
  std::vector<const OpNode*> nodes;      // unfolded nodes in post-order (for runtime shapes)
};

// Walk `value` as assigned into `output`. With `index`, also record where each node went.
Binding Bind(const Expr& value, const Tensor& output, BindingIndex* index = nullptr);

// Layout class of a 2-D view: 'c' unit column stride (row-major), 't' unit row
// stride (a transposed row-major matrix), 'g' anything else.
char LayoutOf(int64_t rows, int64_t cols, int64_t row_stride, int64_t col_stride);

// Whether two tensors are the same view of the same storage.
bool SameView(const Tensor& a, const Tensor& b);

}  // namespace neon
