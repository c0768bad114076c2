// Typed host pointers behind TensorRefs of the cpu backend, and the bounds
// check every kernel runs before touching memory.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>

#include "backends/host_buffer.h"
#include "backends/validate.h"
#include "core/conv_args.h"
#include "core/error.h"
#include "core/kernel.h"

namespace neon::cpu {

// Pointer to element `ref.offset` of ref's buffer, as T.
template <typename T>
T* HostPointer(const TensorRef& ref) {
  return reinterpret_cast<T*>(HostBuffer::Data(ref.buffer)) + ref.offset;
}
// The same for the contiguous operands of conv, pool and batch-norm descriptors.
template <typename T>
T* HostPointer(const BufferRef& ref) {
  return reinterpret_cast<T*>(HostBuffer::Data(ref.buffer)) + ref.offset;
}

// Throws ArgumentError unless every element (i, j) of a rows x cols view of
// `ref` lies inside its buffer. `what` (with `slot` when >= 0) names the view
// in the message, built only on failure.
inline void CheckView(const TensorRef& ref, int64_t rows, int64_t cols, const char* name, int slot = -1) {
  const auto what = [&] { return std::string(name) + (slot >= 0 ? " " + std::to_string(slot) : ""); };
  if (ref.buffer == nullptr) throw ArgumentError(what() + ": no buffer (expected a buffer of this backend)");
  CheckViewBounds(*ref.buffer, ref.dtype, ref.offset, {{rows, ref.row_stride}, {cols, ref.col_stride}}, what());
}

}  // namespace neon::cpu
