// Argument checks every backend runs before it touches device memory, so a
// bad view is the same clear ArgumentError on every device.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "backends/backend.h"

namespace neon {

// One axis of a strided view: `extent` elements `stride` elements apart.
struct ViewAxis {
  int64_t extent;
  int64_t stride;
};

// Bytes [offset, offset + bytes) must lie inside the buffer.
void CheckByteRange(const Buffer& buffer, size_t offset, size_t bytes, const std::string& what);

// Every element of the strided view must lie inside the buffer (computed in 128 bits, so
// huge strides cannot wrap). An empty view touches nothing.
void CheckViewBounds(const Buffer& buffer, DType dtype, int64_t offset, std::initializer_list<ViewAxis> axes,
                     const std::string& what);

// A GEMM operand: op(matrix) is rows x cols (as used, after the transpose flag), in each
// of `batch` matrices; the leading dimension must hold a stored row and the views must fit.
void CheckGemmOperand(const MatrixRef& matrix, DType dtype, int64_t rows, int64_t cols, int64_t batch,
                      const std::string& what);

// Which programs of a fused kernel read input `slot`.
struct InputUse {
  bool body = false;
  bool epilogue = false;
  bool any() const { return body || epilogue; }
};
InputUse UseOfInput(const FusedKernel& kernel, int slot);

// The output's extent: the iteration space, or its reduced shape.
struct Extent {
  int64_t rows;
  int64_t cols;
};
Extent OutputExtent(const FusedKernel& kernel, const KernelArgs& args);

// Everything about one fused-kernel launch a backend must not trust: sizes, input and param
// counts, dtypes, the compute dtype, the reduction, every instruction's operands and slots,
// rand parameters (whole numbers in range), and for the output and every input the program
// reads (inputs it never reads need no buffer): ownership by `backend` and view bounds.
// Throws ArgumentError, or BackendError for an op a fused kernel cannot hold (e.g. dot).
void CheckKernelLaunch(const FusedKernel& kernel, const KernelArgs& args, const Backend& backend);

// A GEMM launch: float32/float64, non-negative sizes, batch >= 1, C not transposed, and every operand
// owned by `backend` and inside its buffer. Throws ArgumentError.
void CheckGemmLaunch(const GemmArgs& args, const Backend& backend);

// A random fill: non-negative sizes, a known distribution, dst owned by `backend` and inside its buffer.
void CheckRandomLaunch(const RandomArgs& args, const Backend& backend);

// The buffer must exist and belong to `backend`.
void CheckOwnedBy(const Buffer* buffer, const Backend& backend, const std::string& what);

}  // namespace neon
