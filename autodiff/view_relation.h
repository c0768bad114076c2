// How a tensor leaf of an op-tree relates to a tensor whose gradient is asked
// for: both are views (buffer, offset, strides), so the leaf may be the same
// view, its transpose, a slice of it (or it a slice of the leaf, or the two
// slices intersect), a reshape of it, or unrelated.
#pragma once

#include <cstdint>
#include <string>

#include "graph/tensor.h"

namespace neon {

struct ViewRelation {
  enum class Kind {
    kDisjoint,     // no shared elements
    kSame,         // the same elements in the same order
    kTransposed,   // the same elements, rows and columns swapped
    kBlock,        // both are blocks of one row-major matrix and intersect in a block
    kReshape,      // both contiguous over the same elements, another 2-D shape
    kOverlapping,  // shares elements in some other way
  };
  Kind kind = Kind::kDisjoint;
  // kBlock: the intersection, rows x cols, starts at (leaf_row, leaf_col) in the leaf's 2-D
  // view and at (row, col) in the tensor's.
  int64_t rows = 0, cols = 0;
  int64_t leaf_row = 0, leaf_col = 0;
  int64_t row = 0, col = 0;
};

ViewRelation RelationOf(const Tensor& leaf, const Tensor& wanted);

// "'name' (shape) at offset N with strides (...)", for messages.
std::string DescribeView(const Tensor& tensor);

}  // namespace neon
