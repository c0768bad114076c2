// Op-trees: immutable expression nodes built lazily by operators and free
// functions on tensors and scalars. Nothing runs until a tree is assigned into
// a tensor (Tensor::assign). Shapes are checked as the tree is built: a
// mismatch throws ShapeError naming the op and both shapes.
//
// Shapes are 2-D (rows, cols), numpy broadcasting; a reduction keeps the
// reduced axis as 1. Scalars and rand() have shape (1, 1) and broadcast.
#pragma once

#include <cstdint>
#include <memory>
#include <type_traits>
#include <vector>

#include "core/op_table.h"
#include "graph/tensor.h"

namespace neon {

struct OpNode;

// Passes over a tree (assign, autodiff, gradient evaluation) recurse once per level, so a
// tree deeper than this is refused with an ArgumentError before any pass starts. It is a
// quarter of a depth (4096) whose autodiff walk overflowed an 8 MB thread stack under
// AddressSanitizer. Building and destroying a tree work at any depth.
inline constexpr int kMaxTreeDepth = 1024;

// A handle to an immutable op-tree node (copying shares the node).
class Expr {
 public:
  Expr(const Tensor& tensor);  // NOLINT: a tensor is a leaf of any tree
  Expr(double value);          // NOLINT: so is a number
  template <typename T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
  Expr(T value) : Expr(static_cast<double>(value)) {}  // NOLINT

  // A node of kind `op` over `operands` (checks arity and shapes). `axis` is the
  // reduction or onehot axis; `count` the number of onehot classes.
  static Expr Make(OpKind op, std::vector<Expr> operands, int axis = kAllAxes, int64_t count = 0);

  OpKind op() const;
  const Shape& shape() const;             // always (rows, cols)
  const std::vector<Expr>& operands() const;
  const Expr& operand(int i) const { return operands()[i]; }
  const Tensor& tensor() const;           // kTensor leaves
  double value() const;                   // kScalar leaves
  int axis() const;                       // reductions, onehot
  int64_t count() const;                  // onehot
  const OpNode* node() const { return node_.get(); }  // identity, for memo tables
  // Nodes on the longest path from this node to a leaf (a leaf is 1).
  int depth() const;

  // A readable rendering, e.g. "add(x(10, 10), 1)", for messages and debugging; levels
  // below the first 32 print as "...".
  std::string ToString() const;

 private:
  friend struct OpNode;  // takes operands apart iteratively when destroyed
  explicit Expr(std::shared_ptr<const OpNode> node) : node_(std::move(node)) {}
  std::shared_ptr<const OpNode> node_;
};

struct OpNode {
  OpNode() = default;
  OpNode(const OpNode&) = delete;
  OpNode& operator=(const OpNode&) = delete;
  // Iterative: destroying a million-node chain must not recurse a million times.
  ~OpNode();

  OpKind op;
  std::vector<Expr> operands;
  Tensor tensor;          // kTensor
  double value = 0.0;     // kScalar
  int axis = kAllAxes;    // reductions, onehot
  int64_t count = 0;      // onehot classes
  Shape shape;            // (rows, cols)
  int depth = 1;          // see Expr::depth
};

// ArgumentError naming `what` when `tree` is deeper than kMaxTreeDepth.
void CheckTreeDepth(const Expr& tree, const char* what);

// ---- elementwise arithmetic and comparisons (neon's operator overloads) ----
Expr operator+(const Expr& a, const Expr& b);
Expr operator-(const Expr& a, const Expr& b);
Expr operator*(const Expr& a, const Expr& b);
Expr operator/(const Expr& a, const Expr& b);
Expr operator-(const Expr& a);
Expr operator==(const Expr& a, const Expr& b);
Expr operator!=(const Expr& a, const Expr& b);
Expr operator<(const Expr& a, const Expr& b);
Expr operator<=(const Expr& a, const Expr& b);
Expr operator>(const Expr& a, const Expr& b);
Expr operator>=(const Expr& a, const Expr& b);

Expr add(const Expr& a, const Expr& b);
Expr sub(const Expr& a, const Expr& b);
Expr mul(const Expr& a, const Expr& b);
Expr div(const Expr& a, const Expr& b);
Expr eq(const Expr& a, const Expr& b);
Expr ne(const Expr& a, const Expr& b);
Expr lt(const Expr& a, const Expr& b);
Expr le(const Expr& a, const Expr& b);
Expr gt(const Expr& a, const Expr& b);
Expr ge(const Expr& a, const Expr& b);
Expr pow(const Expr& a, const Expr& b);
Expr minimum(const Expr& a, const Expr& b);
Expr maximum(const Expr& a, const Expr& b);
Expr shift(const Expr& a, const Expr& b);  // a * 2^b

// ---- unary ----
Expr neg(const Expr& x);
Expr abs(const Expr& x);
Expr sgn(const Expr& x);
Expr finite(const Expr& x);  // 1 where finite, else 0
Expr sqrt(const Expr& x);
Expr sqr(const Expr& x);
Expr exp(const Expr& x);
Expr log(const Expr& x);
Expr exp2(const Expr& x);
Expr log2(const Expr& x);
Expr sig(const Expr& x);     // 1 / (1 + exp(-x))
Expr sig2(const Expr& x);    // 1 / (1 + 2^-x)
Expr tanh(const Expr& x);
Expr tanh2(const Expr& x);   // (2^2x - 1) / (2^2x + 1)
Expr safelog(const Expr& x); // log(max(x, e^-50))
Expr rint(const Expr& x);    // round half to even
Expr binarize(const Expr& x);  // 1 where x >= 0, else -1
Expr transpose(const Expr& x);

// ---- matrix product and reductions (axis 0, 1, or kAllAxes) ----
Expr dot(const Expr& a, const Expr& b);
Expr sum(const Expr& x, int axis = kAllAxes);
Expr max(const Expr& x, int axis = kAllAxes);
Expr min(const Expr& x, int axis = kAllAxes);
Expr argmax(const Expr& x, int axis = kAllAxes);  // first index on ties
Expr argmin(const Expr& x, int axis = kAllAxes);

// ---- composites, built from the ops above ----
Expr mean(const Expr& x, int axis = kAllAxes);
Expr var(const Expr& x, int axis = kAllAxes);   // population variance, as neon
Expr std_dev(const Expr& x, int axis = kAllAxes);  // neon's std: sqrt(var) (renamed: `std` would shadow namespace std)
Expr clip(const Expr& x, const Expr& low, const Expr& high);

// ---- generators ----
// Uniform [0, 1) from the backend's Philox stream, one value per output element.
Expr rand();
// One-hot of integer-valued indices: axis 0 turns idx (1, N) into (count, N) with
// out[i, j] = (idx[0, j] == i); axis 1 turns idx (N, 1) into (N, count).
Expr onehot(const Expr& indices, int64_t count, int axis = 0);

}  // namespace neon
