#include "graph/tensor.h"

#include <numeric>
#include <type_traits>

#include "core/error.h"
#include "graph/expr.h"
#include "graph/random_stream.h"
#include "core/scalar_ops.h"

namespace neon {

namespace {

// a * b, or ShapeError naming `shape` when it does not fit int64 (sizes are never wrapped).
int64_t CheckedMul(int64_t a, int64_t b, const Shape& shape, const std::string& what) {
  int64_t product = 0;
  if (__builtin_mul_overflow(a, b, &product)) {
    throw ShapeError(what + ": shape " + ShapeString(shape) +
                     " is too large (its element count or strides overflow 64 bits)");
  }
  return product;
}

std::vector<int64_t> RowMajorStrides(const Shape& shape, const std::string& what) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (int i = static_cast<int>(shape.size()) - 2; i >= 0; --i) {
    strides[i] = CheckedMul(strides[i + 1], shape[i + 1], shape, what);
  }
  return strides;
}

// Host values converted the way a kernel stores them (int32: toward zero, saturated, NaN -> 0), so
// set() and get() of another element type need no kernel in a wider dtype (a device may lack float64).
template <typename To, typename From>
std::vector<To> ConvertValues(const std::vector<From>& values) {
  std::vector<To> converted(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const double value = static_cast<double>(values[i]);
    if constexpr (std::is_same_v<To, int32_t>) {
      converted[i] = ToInt32(value);
    } else {
      converted[i] = static_cast<To>(value);
    }
  }
  return converted;
}

// The element count of a shape that CheckShape accepted (so it cannot overflow).
int64_t Product(const Shape& shape) {
  return std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<>());
}

// At least 2-D, no negative dimension, element count and strides within int64.
void CheckShape(const Shape& shape, const std::string& what) {
  if (shape.size() < 2) {
    throw ShapeError(what + ": shape " + ShapeString(shape) + " has fewer than 2 dimensions (neon tensors are at least 2-D)");
  }
  for (int64_t dim : shape) {
    if (dim < 0) throw ShapeError(what + ": shape " + ShapeString(shape) + " has a negative dimension");
  }
  int64_t count = 1;
  for (int64_t dim : shape) count = CheckedMul(count, dim, shape, what);
  RowMajorStrides(shape, what);
}

}  // namespace

std::string ShapeString(const Shape& shape) {
  std::string text = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + ")";
}

Tensor::Tensor(Backend& backend, Shape shape, DType dtype, std::string name)
    : shape_(std::move(shape)), dtype_(dtype), name_(std::move(name)) {
  const std::string what = "tensor '" + name_ + "'";
  CheckShape(shape_, what);
  strides_ = RowMajorStrides(shape_, what);
  const int64_t bytes = CheckedMul(Product(shape_), static_cast<int64_t>(SizeOf(dtype_)), shape_, what);
  auto failure = [&](const std::string& reason) {
    return BackendError("cannot allocate tensor '" + name_ + "' " + ShapeString(shape_) + " " +
                        std::string(DTypeName(dtype_)) + " (" + std::to_string(bytes) + " bytes) on backend '" +
                        backend.instance_name() + "': " + reason);
  };
  try {
    buffer_ = backend.allocate(static_cast<size_t>(bytes));
  } catch (const std::bad_alloc&) {
    throw failure("out of memory");
  } catch (const BackendError& error) {
    throw failure(error.what());
  }
}

const Tensor& Tensor::Checked(const char* what) const {
  if (!buffer_) throw ArgumentError(std::string("tensor ") + what + ": a null (default-constructed) Tensor");
  return *this;
}

Backend& Tensor::backend() const { return Checked("backend()").buffer_->backend(); }

int64_t Tensor::size() const { return Product(Checked("size()").shape_); }

bool Tensor::is_contiguous() const {
  return strides_ == RowMajorStrides(Checked("is_contiguous()").shape_, "is_contiguous") || size() <= 1;
}

Tensor Tensor::named(std::string name) const {
  Tensor view = Checked("named()");
  view.name_ = std::move(name);
  return view;
}

Tensor Tensor::reshape(Shape shape) const {
  Checked("reshape()");
  const std::string what = "reshape of '" + name_ + "'";
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (infer >= 0) throw ShapeError("reshape: more than one -1 in " + ShapeString(shape));
      infer = static_cast<int>(i);
    } else if (shape[i] >= 0) {
      known = CheckedMul(known, shape[i], shape, what);
    }
  }
  if (infer >= 0 && known > 0) shape[infer] = size() / known;
  CheckShape(shape, what);
  if (Product(shape) != size()) {
    throw ShapeError("reshape of '" + name_ + "': " + ShapeString(shape_) + " has " + std::to_string(size()) +
                     " elements, " + ShapeString(shape) + " has " + std::to_string(Product(shape)));
  }
  if (!is_contiguous()) {
    throw ShapeError("reshape of '" + name_ + "': the view " + ShapeString(shape_) +
                     " is not contiguous (copy it into a new tensor first)");
  }
  Tensor view = *this;
  view.shape_ = std::move(shape);
  view.strides_ = RowMajorStrides(view.shape_, what);
  return view;
}

Tensor Tensor::T() const {
  Checked("T()");
  if (ndim() != 2) throw ShapeError("T(): '" + name_ + "' has shape " + ShapeString(shape_) + ", expected 2-D");
  Tensor view = *this;
  std::swap(view.shape_[0], view.shape_[1]);
  std::swap(view.strides_[0], view.strides_[1]);
  return view;
}

Tensor Tensor::rows(int64_t begin, int64_t end) const { return Slice(0, begin, end); }

Tensor Tensor::cols(int64_t begin, int64_t end) const { return Slice(1, begin, end); }

Tensor Tensor::Slice(int axis, int64_t begin, int64_t end) const {
  const char* what = axis == 0 ? "rows" : "cols";
  Checked(axis == 0 ? "rows()" : "cols()");
  if (ndim() != 2 || begin < 0 || end > shape_[axis] || begin > end) {
    throw ShapeError(std::string(what) + "(" + std::to_string(begin) + ", " + std::to_string(end) + ") of '" +
                     name_ + "' with shape " + ShapeString(shape_) + ": expected a 2-D tensor and 0 <= begin <= end <= " +
                     what);
  }
  Tensor view = *this;
  view.offset_ += begin * strides_[axis];
  view.shape_[axis] = end - begin;
  return view;
}

int64_t Tensor::rows2d() const {
  return Checked("rows2d()").ndim() == 2 ? shape_[0] : size() / std::max<int64_t>(shape_.back(), 1);
}
int64_t Tensor::cols2d() const { return Checked("cols2d()").shape_.back(); }

int64_t Tensor::row_stride2d() const {
  if (Checked("row_stride2d()").ndim() == 2) return strides_[0];
  if (!is_contiguous()) {
    throw ShapeError("op-tree operand '" + name_ + "': a " + std::to_string(ndim()) +
                     "-D view must be contiguous to be seen as 2-D");
  }
  return shape_.back();
}

int64_t Tensor::col_stride2d() const { return Checked("col_stride2d()").ndim() == 2 ? strides_[1] : 1; }

Tensor& Tensor::fill(double value) {
  Checked("fill()");
  return assign(Expr(value));
}

Tensor& Tensor::fill_random(Distribution distribution, double a, double b) {
  Backend& device = Checked("fill_random()").backend();
  RandomArgs args;
  args.rows = rows2d();
  args.cols = cols2d();
  args.dst = {buffer_.get(), offset_, row_stride2d(), col_stride2d(), dtype_};
  args.distribution = distribution;
  args.a = a;
  args.b = b;
  RandomRange range = ReserveRandom(device, static_cast<uint64_t>(args.rows) * static_cast<uint64_t>(args.cols));
  args.seed = range.seed;
  args.counter_offset = range.first;
  device.fill_random(args);
  return *this;
}

template <typename Element>
std::vector<Element> Tensor::get() const {
  Checked("get()");
  if (dtype_ != DTypeOf<Element>()) {
    switch (dtype_) {
      case DType::kFloat32: return ConvertValues<Element>(get<float>());
      case DType::kFloat64: return ConvertValues<Element>(get<double>());
      case DType::kInt32: return ConvertValues<Element>(get<int32_t>());
    }
  }
  Tensor source = *this;
  if (!is_contiguous()) {
    source = Tensor(backend(), shape_, dtype_, name_);
    source.assign(*this);
  }
  std::vector<Element> values(static_cast<size_t>(size()));
  backend().copy_out(*source.buffer_, static_cast<size_t>(source.offset_) * sizeof(Element), values.data(),
                     values.size() * sizeof(Element));
  return values;
}

template <typename Element>
Tensor& Tensor::set(const std::vector<Element>& values) {
  Checked("set()");
  if (static_cast<int64_t>(values.size()) != size()) {
    throw ShapeError("set(): '" + name_ + "' has shape " + ShapeString(shape_) + " (" + std::to_string(size()) +
                     " elements), got " + std::to_string(values.size()) + " values");
  }
  if (dtype_ != DTypeOf<Element>()) {
    switch (dtype_) {
      case DType::kFloat32: return set(ConvertValues<float>(values));
      case DType::kFloat64: return set(ConvertValues<double>(values));
      case DType::kInt32: return set(ConvertValues<int32_t>(values));
    }
  }
  if (is_contiguous()) {
    backend().copy_in(*buffer_, static_cast<size_t>(offset_) * sizeof(Element), values.data(), values.size() * sizeof(Element));
    return *this;
  }
  Tensor staging(backend(), shape_, dtype_, name_);
  staging.set(values);
  return assign(staging);
}

template std::vector<float> Tensor::get<float>() const;
template std::vector<double> Tensor::get<double>() const;
template std::vector<int32_t> Tensor::get<int32_t>() const;
template Tensor& Tensor::set<float>(const std::vector<float>&);
template Tensor& Tensor::set<double>(const std::vector<double>&);
template Tensor& Tensor::set<int32_t>(const std::vector<int32_t>&);

Tensor empty(Backend& backend, Shape shape, DType dtype, std::string name) {
  return Tensor(backend, std::move(shape), dtype, std::move(name));
}

Tensor full(Backend& backend, Shape shape, double value, DType dtype, std::string name) {
  Tensor tensor(backend, std::move(shape), dtype, std::move(name));
  tensor.fill(value);
  return tensor;
}

Tensor zeros(Backend& backend, Shape shape, DType dtype, std::string name) {
  return full(backend, std::move(shape), 0.0, dtype, std::move(name));
}

Tensor ones(Backend& backend, Shape shape, DType dtype, std::string name) {
  return full(backend, std::move(shape), 1.0, dtype, std::move(name));
}

template <typename T>
Tensor array(Backend& backend, const std::vector<T>& values, Shape shape, DType dtype, std::string name) {
  Tensor tensor(backend, std::move(shape), dtype, std::move(name));
  tensor.set(values);
  return tensor;
}

template Tensor array<float>(Backend&, const std::vector<float>&, Shape, DType, std::string);
template Tensor array<double>(Backend&, const std::vector<double>&, Shape, DType, std::string);
template Tensor array<int32_t>(Backend&, const std::vector<int32_t>&, Shape, DType, std::string);

}  // namespace neon
