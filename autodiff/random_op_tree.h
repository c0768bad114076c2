// Random op-trees described as plain data, so a tree can be built on any backend,
// shrunk (a subtree replaced by an operand or a leaf) and printed as C++ that
// rebuilds it. Used by the differential tester (difftest.h).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "graph/expr.h"
#include "graph/tensor.h"

namespace neon {

// A leaf tensor: its values (of `base_shape`, row-major) and the view the tree reads.
struct RandomLeaf {
  enum class View { kWhole, kTransposed, kRows, kCols };
  Shape base_shape;
  std::vector<double> values;
  View view = View::kWhole;
  int64_t begin = 0, end = 0;  // the row / column range of kRows / kCols
  bool has_special_values = false;
};

struct RandomNode {
  std::string op;  // "leaf", "scalar", or an op of core/op_table.h named as in graph/expr.h
  Shape shape;
  int leaf = -1;        // index into RandomTree::leaves, for "leaf"
  double scalar = 0;    // for "scalar"
  int axis = kAllAxes;  // reductions and onehot
  std::vector<std::shared_ptr<const RandomNode>> operands;
};
using RandomNodePtr = std::shared_ptr<const RandomNode>;

struct RandomTree {
  DType dtype = DType::kFloat32;
  uint64_t seed = 0;  // also the seed of rand()
  std::vector<RandomLeaf> leaves;
  RandomNodePtr root;
};

struct RandomTreeOptions {
  int max_depth = 4;
  bool allow_float64 = true;
  bool special_values = true;  // NaN, +-inf, +-0, denormals, the largest finite values
};

RandomTree GenerateRandomTree(uint64_t seed, const RandomTreeOptions& options = {});

// The tree on `backend`; `leaves` receives each leaf's base tensor (the tensors to differentiate).
Expr BuildRandomTree(const RandomTree& tree, Backend& backend, std::vector<Tensor>* leaves);

// True when every op has a gradient rule and no leaf holds special values: only then are
// gradients compared (rint, sgn, comparisons, argmax, binarize, finite are piecewise constant).
bool HasComparableGradients(const RandomTree& tree);

int CountNodes(const RandomTree& tree);

// C++ (a function body) that builds the tree on a Backend& `be` and evaluates it.
std::string RandomTreeToCpp(const RandomTree& tree);

// Repeatedly replaces a subtree by one of its operands of the same shape (the root by any of
// its operands) or by a plain leaf
// while `fails` still holds, until no replacement fails (at most `max_attempts` calls).
RandomTree ShrinkRandomTree(const RandomTree& tree, const std::function<bool(const RandomTree&)>& fails,
                            int max_attempts = 2000);

}  // namespace neon
