#include "autodiff/view_relation.h"

#include <algorithm>
#include <utility>

namespace neon {

namespace {

// Same elements in the same order: equal sizes, and equal strides on every axis longer than 1.
bool SameLayout(int64_t rows, int64_t cols, int64_t row_stride, int64_t col_stride, const Tensor& other) {
  return rows == other.rows2d() && cols == other.cols2d() && (rows <= 1 || row_stride == other.row_stride2d()) &&
         (cols <= 1 || col_stride == other.col_stride2d());
}

// [first, last] element offsets a 2-D view touches (strides are non-negative here).
std::pair<int64_t, int64_t> Extent(const Tensor& t) {
  return {t.offset(), t.offset() + (t.rows2d() - 1) * t.row_stride2d() + (t.cols2d() - 1) * t.col_stride2d()};
}

// A view as a rectangle [row0, row0 + rows) x [col0, col0 + cols) of the row-major matrix
// with row stride `width` that holds it, if it is one.
struct Rect {
  int64_t row0, col0, rows, cols;
};

bool RectIn(const Tensor& t, int64_t width, Rect& rect) {
  if (width <= 0 || (t.cols2d() > 1 && t.col_stride2d() != 1) || (t.rows2d() > 1 && t.row_stride2d() != width)) {
    return false;
  }
  rect = {t.offset() / width, t.offset() % width, t.rows2d(), t.cols2d()};
  return rect.col0 + rect.cols <= width;
}

// The intersection of two blocks of one row-major matrix, if both are blocks of it.
bool FindBlock(const Tensor& leaf, const Tensor& wanted, ViewRelation& relation) {
  int64_t width = wanted.rows2d() > 1 ? wanted.row_stride2d() : leaf.row_stride2d();
  Rect a, b;
  if (leaf.dtype() != wanted.dtype() || !RectIn(leaf, width, a) || !RectIn(wanted, width, b)) return false;
  int64_t row0 = std::max(a.row0, b.row0), row1 = std::min(a.row0 + a.rows, b.row0 + b.rows);
  int64_t col0 = std::max(a.col0, b.col0), col1 = std::min(a.col0 + a.cols, b.col0 + b.cols);
  if (row0 >= row1 || col0 >= col1) {
    relation = {ViewRelation::Kind::kDisjoint};
    return true;
  }
  relation = {ViewRelation::Kind::kBlock, row1 - row0, col1 - col0, row0 - a.row0, col0 - a.col0, row0 - b.row0, col0 - b.col0};
  return true;
}

}  // namespace

ViewRelation RelationOf(const Tensor& leaf, const Tensor& wanted) {
  using Kind = ViewRelation::Kind;
  if (leaf.buffer() != wanted.buffer() || leaf.size() == 0 || wanted.size() == 0) return {Kind::kDisjoint};
  if (leaf.dtype() == wanted.dtype()) {
    if (leaf.offset() == wanted.offset()) {
      if (SameLayout(leaf.rows2d(), leaf.cols2d(), leaf.row_stride2d(), leaf.col_stride2d(), wanted)) {
        return {Kind::kSame};
      }
      if (SameLayout(leaf.cols2d(), leaf.rows2d(), leaf.col_stride2d(), leaf.row_stride2d(), wanted)) {
        return {Kind::kTransposed};
      }
      if (leaf.size() == wanted.size() && leaf.is_contiguous() && wanted.is_contiguous()) return {Kind::kReshape};
    }
  }
  ViewRelation block;
  if (FindBlock(leaf, wanted, block)) return block;
  auto [leaf_first, leaf_last] = Extent(leaf);
  auto [wanted_first, wanted_last] = Extent(wanted);
  int64_t leaf_bytes = static_cast<int64_t>(SizeOf(leaf.dtype()));
  int64_t wanted_bytes = static_cast<int64_t>(SizeOf(wanted.dtype()));
  bool disjoint = (leaf_last + 1) * leaf_bytes <= wanted_first * wanted_bytes ||
                  (wanted_last + 1) * wanted_bytes <= leaf_first * leaf_bytes;
  return {disjoint ? Kind::kDisjoint : Kind::kOverlapping};
}

std::string DescribeView(const Tensor& tensor) {
  return "'" + tensor.name() + "' " + ShapeString(tensor.shape()) + " at offset " + std::to_string(tensor.offset()) +
         " with strides " + ShapeString(tensor.strides());
}

}  // namespace neon
