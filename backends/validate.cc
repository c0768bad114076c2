#include "backends/validate.h"

#include <algorithm>

#include "graph/error.h"

namespace neon {

void CheckByteRange(const Buffer& buffer, size_t offset, size_t bytes, const std::string& what) {
  if (offset > buffer.size_bytes() || bytes > buffer.size_bytes() - offset) {
    throw ArgumentError(what + ": bytes [" + std::to_string(offset) + ", " + std::to_string(offset + bytes) +
                        ") are outside the buffer of " + std::to_string(buffer.size_bytes()) + " bytes");
  }
}

void CheckViewBounds(const Buffer& buffer, DType dtype, int64_t offset, std::initializer_list<ViewAxis> axes,
                     const std::string& what) {
  __int128 low = offset;
  __int128 high = offset;
  std::string shape;
  for (const ViewAxis& axis : axes) {
    if (axis.extent < 0) throw ArgumentError(what + ": negative extent " + std::to_string(axis.extent));
    if (axis.extent == 0) return;
    __int128 span = static_cast<__int128>(axis.stride) * (axis.extent - 1);
    (span < 0 ? low : high) += span;
    shape += (shape.empty() ? "" : " x ") + std::to_string(axis.extent) + " (stride " + std::to_string(axis.stride) + ")";
  }
  const size_t capacity = buffer.size_bytes() / SizeOf(dtype);
  if (low < 0 || high >= static_cast<__int128>(capacity)) {
    throw ArgumentError(what + ": a view of " + shape + " at offset " + std::to_string(offset) +
                        " touches elements " + std::to_string(static_cast<long long>(low)) + ".." +
                        std::to_string(static_cast<long long>(high)) + ", but the buffer holds " +
                        std::to_string(capacity) + " " + std::string(DTypeName(dtype)) + " elements (" +
                        std::to_string(buffer.size_bytes()) + " bytes)");
  }
}

void CheckGemmOperand(const MatrixRef& matrix, DType dtype, int64_t rows, int64_t cols, int64_t batch,
                      const std::string& what) {
  if (matrix.buffer == nullptr) throw ArgumentError(what + ": no buffer");
  if (rows == 0 || cols == 0 || batch == 0) return;  // an empty operand touches nothing
  const int64_t stored_rows = matrix.trans ? cols : rows;
  const int64_t stored_cols = matrix.trans ? rows : cols;
  if (matrix.ld < std::max<int64_t>(1, stored_cols)) {
    throw ArgumentError(what + ": ld " + std::to_string(matrix.ld) + ", expected at least " +
                        std::to_string(std::max<int64_t>(1, stored_cols)) + " (the stored matrix is " +
                        std::to_string(stored_rows) + " x " + std::to_string(stored_cols) + ")");
  }
  if (matrix.offset < 0 || matrix.batch_stride < 0) {
    throw ArgumentError(what + ": negative offset or batch stride");
  }
  CheckViewBounds(*matrix.buffer, dtype, matrix.offset,
                  {{batch, matrix.batch_stride}, {stored_rows, matrix.ld}, {stored_cols, 1}}, what);
}

void CheckOwnedBy(const Buffer* buffer, const Backend& backend, const std::string& what) {
  if (buffer == nullptr) throw ArgumentError(what + ": no buffer (expected a buffer of backend '" + backend.info().name + "')");
  if (&buffer->backend() != &backend) {
    throw ArgumentError(what + ": the buffer belongs to backend '" + buffer->backend().info().name +
                        "', expected one of backend '" + backend.info().name + "'");
  }
}

}  // namespace neon
