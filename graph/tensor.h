// Tensor: a handle to (a view of) device memory, with neon's semantics:
// copying a Tensor aliases the same storage. Views (reshape, T(), row and
// column slices) share storage too. Assigning an op-tree runs it:
// `fval.assign(f)` is neon's `fval[:] = f`.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "core/dtype.h"

namespace neon {

class Expr;

using Shape = std::vector<int64_t>;

std::string ShapeString(const Shape& shape);  // "(3, 4)"

class Tensor {
 public:
  Tensor() = default;  // a null handle: every call on it but defined() throws ArgumentError
  // A new tensor on `backend` with unspecified contents (neon's be.empty). ShapeError when its
  // element count, strides or byte size do not fit 63 bits; BackendError naming the backend,
  // the tensor and the size when the device cannot allocate it.
  Tensor(Backend& backend, Shape shape, DType dtype = DType::kFloat32, std::string name = "");

  bool defined() const { return buffer_ != nullptr; }
  // The backend that owns the storage; BackendError when that backend has been destroyed.
  Backend& backend() const;
  const Shape& shape() const { return Checked("shape()").shape_; }
  const std::vector<int64_t>& strides() const { return Checked("strides()").strides_; }  // in elements
  int64_t offset() const { return Checked("offset()").offset_; }                           // in elements
  DType dtype() const { return Checked("dtype()").dtype_; }
  const std::string& name() const { return Checked("name()").name_; }
  int64_t size() const;  // number of elements
  int ndim() const { return static_cast<int>(Checked("ndim()").shape_.size()); }
  bool is_contiguous() const;
  const std::shared_ptr<Buffer>& buffer() const { return Checked("buffer()").buffer_; }

  // Same storage, another name (for messages and saved models).
  Tensor named(std::string name) const;

  // ---- views (share storage) ----
  // A view with a new shape of the same size; one dim may be -1. Needs a contiguous tensor.
  Tensor reshape(Shape shape) const;
  // The 2-D transpose (strides swapped).
  Tensor T() const;
  // Rows [begin, end) / columns [begin, end) of a 2-D tensor (neon's x[a:b], x[:, a:b]).
  Tensor rows(int64_t begin, int64_t end) const;
  Tensor cols(int64_t begin, int64_t end) const;

  // The (rows, cols) view op-trees see: the tensor itself when 2-D; an n-D contiguous tensor
  // is seen as (prod(shape[:-1]), shape[-1]), so (C, H, W, N) is (C*H*W, N).
  int64_t rows2d() const;
  int64_t cols2d() const;
  int64_t row_stride2d() const;
  int64_t col_stride2d() const;

  // ---- evaluation ----
  // Run the op-tree and store its value here (broadcasting to this shape). Returns *this.
  Tensor& assign(const Expr& value);
  // Set every element to `value`.
  Tensor& fill(double value);
  // Fill from the backend's Philox stream (uniform [a, b), normal (mean a, std b) or
  // Bernoulli(a)): the same seed and stream position give the same bits on every backend.
  Tensor& fill_random(Distribution distribution, double a, double b);

  // ---- host transfer (row-major order over the logical shape) ----
  template <typename Element> std::vector<Element> get() const;
  template <typename Element> Tensor& set(const std::vector<Element>& values);

 private:
  // *this; ArgumentError naming `what` for a null handle.
  const Tensor& Checked(const char* what) const;
  // Elements [begin, end) along `axis` (0: rows, 1: columns) of a 2-D tensor.
  Tensor Slice(int axis, int64_t begin, int64_t end) const;

  std::shared_ptr<Buffer> buffer_;
  Shape shape_;
  std::vector<int64_t> strides_;
  int64_t offset_ = 0;
  DType dtype_ = DType::kFloat32;
  std::string name_;
};

// ---- factories (neon's be.empty / zeros / ones / array) ----
Tensor empty(Backend& backend, Shape shape, DType dtype = DType::kFloat32, std::string name = "");
Tensor zeros(Backend& backend, Shape shape, DType dtype = DType::kFloat32, std::string name = "");
Tensor ones(Backend& backend, Shape shape, DType dtype = DType::kFloat32, std::string name = "");
Tensor full(Backend& backend, Shape shape, double value, DType dtype = DType::kFloat32,
            std::string name = "");
// A tensor holding `values` (row-major), converted to dtype.
template <typename T>
Tensor array(Backend& backend, const std::vector<T>& values, Shape shape,
             DType dtype = DType::kFloat32, std::string name = "");

}  // namespace neon
