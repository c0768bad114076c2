// Typed host pointers behind TensorRefs of the cpu backend, and the bounds
// check every kernel runs before touching memory.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>

#include "backends/host_buffer.h"
#include "graph/error.h"
#include "graph/kernel.h"

namespace neon::cpu {

// Pointer to element `ref.offset` of ref's buffer, as T.
template <typename T>
T* HostPointer(const TensorRef& ref) {
  return reinterpret_cast<T*>(HostBuffer::Data(ref.buffer)) + ref.offset;
}

// Throws ArgumentError unless every element (i, j) of a rows x cols view of
// `ref` lies inside its buffer. `what` (with `slot` when >= 0) names the view
// in the message, built only on failure.
inline void CheckView(const TensorRef& ref, int64_t rows, int64_t cols, const char* name, int slot = -1) {
  const auto what = [&] { return std::string(name) + (slot >= 0 ? " " + std::to_string(slot) : ""); };
  if (ref.buffer == nullptr) throw ArgumentError(what() + ": no buffer (expected a buffer of this backend)");
  if (rows <= 0 || cols <= 0) return;
  const int64_t last_row = (rows - 1) * ref.row_stride, last_col = (cols - 1) * ref.col_stride;
  const int64_t low = ref.offset + std::min<int64_t>(0, last_row) + std::min<int64_t>(0, last_col);
  const int64_t high = ref.offset + std::max<int64_t>(0, last_row) + std::max<int64_t>(0, last_col);
  const int64_t size = static_cast<int64_t>(ref.buffer->size_bytes() / SizeOf(ref.dtype));
  if (low < 0 || high >= size) {
    throw ArgumentError(what() + ": a " + std::to_string(rows) + " x " + std::to_string(cols) +
                        " view with offset " + std::to_string(ref.offset) + " and strides (" +
                        std::to_string(ref.row_stride) + ", " + std::to_string(ref.col_stride) +
                        ") reaches elements [" + std::to_string(low) + ", " + std::to_string(high) +
                        "], expected them within the buffer's " + std::to_string(size) + " " +
                        std::string(DTypeName(ref.dtype)) + " elements");
  }
}

}  // namespace neon::cpu
