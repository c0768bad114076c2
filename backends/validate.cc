#include "backends/validate.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace neon {

void CheckByteRange(const Buffer& buffer, size_t offset, size_t bytes, const std::string& what) {
  if (offset > buffer.size_bytes() || bytes > buffer.size_bytes() - offset) {
    throw ArgumentError(what + ": bytes [" + std::to_string(offset) + ", " + std::to_string(offset + bytes) +
                        ") are outside the buffer of " + std::to_string(buffer.size_bytes()) + " bytes");
  }
}

namespace {

// The lowest and highest element a strided view touches, in 128 bits; false for an empty view.
bool ViewSpan(int64_t offset, std::initializer_list<ViewAxis> axes, __int128& low, __int128& high) {
  low = offset;
  high = offset;
  for (const ViewAxis& axis : axes) {
    if (axis.extent <= 0) return false;
    __int128 span = static_cast<__int128>(axis.stride) * (axis.extent - 1);
    (span < 0 ? low : high) += span;
  }
  return true;
}

// Whether every element of the view lies in the buffer (the common case: no message built).
bool ViewFits(const Buffer& buffer, DType dtype, int64_t offset, std::initializer_list<ViewAxis> axes) {
  for (const ViewAxis& axis : axes) {
    if (axis.extent < 0) return false;
  }
  __int128 low, high;
  if (!ViewSpan(offset, axes, low, high)) return true;
  return low >= 0 && high < static_cast<__int128>(buffer.size_bytes() / SizeOf(dtype));
}

}  // namespace

void CheckViewBounds(const Buffer& buffer, DType dtype, int64_t offset, std::initializer_list<ViewAxis> axes,
                     const std::string& what) {
  for (const ViewAxis& axis : axes) {
    if (axis.extent < 0) throw ArgumentError(what + ": negative extent " + std::to_string(axis.extent));
  }
  __int128 low, high;
  if (!ViewSpan(offset, axes, low, high)) return;  // an empty view touches nothing
  const size_t capacity = buffer.size_bytes() / SizeOf(dtype);
  if (low < 0 || high >= static_cast<__int128>(capacity)) {
    std::string shape;
    for (const ViewAxis& axis : axes) {
      shape += (shape.empty() ? "" : " x ") + std::to_string(axis.extent) + " (stride " + std::to_string(axis.stride) + ")";
    }
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

namespace {

// One program's instructions: operands name earlier registers, slots exist, kReduced only
// in the epilogue, rand parameters are exact integers in range.
void CheckProgram(const std::vector<Instr>& program, bool is_epilogue, const FusedKernel& kernel,
                  const KernelArgs& args) {
  const char* part = is_epilogue ? "epilogue" : "body";
  for (size_t k = 0; k < program.size(); ++k) {
    const Instr& instr = program[k];
    if (static_cast<int>(instr.op) >= kNumOpKinds) {
      throw ArgumentError("run: " + std::string(part) + " instruction " + std::to_string(k) + ": unknown op kind");
    }
    // Messages are built only on failure: this runs on every launch.
    const auto where = [&] {
      return "run: " + std::string(part) + " instruction " + std::to_string(k) + " (" + std::string(OpName(instr.op)) + ")";
    };
    const auto check_register = [&](int32_t reg, const char* operand) {
      if (reg < 0 || static_cast<size_t>(reg) >= k) {
        throw ArgumentError(where() + ": operand " + operand + " is register " + std::to_string(reg) +
                            ", expected one of the earlier registers 0.." + std::to_string(static_cast<int64_t>(k) - 1));
      }
    };
    const auto check_params = [&](int count) {
      if (instr.slot < 0 || instr.slot + count > kernel.num_params) {
        throw ArgumentError(where() + ": param slots " + std::to_string(instr.slot) + ".." +
                            std::to_string(instr.slot + count - 1) + ", but the kernel has " +
                            std::to_string(kernel.num_params) + " params");
      }
    };
    const auto check_whole = [&](int slot, double limit, const char* what) {
      const double value = args.params[slot];
      if (!(value >= 0 && value <= limit && value == std::floor(value))) {
        throw ArgumentError(where() + ": rand " + what + " (param " + std::to_string(slot) + ") is " +
                            std::to_string(value) + ", expected a whole number in [0, " + std::to_string(limit) + "]");
      }
    };
    switch (ClassOf(instr.op)) {
      case OpClass::kUnary:
        check_register(instr.a, "a");
        continue;
      case OpClass::kBinary:
        check_register(instr.a, "a");
        check_register(instr.b, "b");
        continue;
      default:
        break;
    }
    switch (instr.op) {
      case OpKind::kTensor:
        if (instr.slot < 0 || static_cast<size_t>(instr.slot) >= kernel.input_dtypes.size()) {
          throw ArgumentError(where() + ": input slot " + std::to_string(instr.slot) + ", expected 0.." +
                              std::to_string(static_cast<int64_t>(kernel.input_dtypes.size()) - 1));
        }
        break;
      case OpKind::kScalar:
        check_params(1);
        break;
      case OpKind::kRand:
        check_params(3);
        check_whole(instr.slot, 4294967295.0, "key low half");
        check_whole(instr.slot + 1, 4294967295.0, "key high half");
        check_whole(instr.slot + 2, 9007199254740992.0, "counter offset");
        break;
      case OpKind::kRowIndex:
      case OpKind::kColIndex:
        break;
      case OpKind::kReduced:
        if (!is_epilogue) throw ArgumentError(where() + ": the reduced value exists only in the epilogue");
        break;
      default:
        // An op no device runs inside a fused kernel (dot, onehot, ...): the backend cannot do it.
        throw BackendError(where() + ": not an instruction a fused kernel can hold (expected an elementwise op, "
                           "tensor, scalar, rand or index)");
    }
  }
}

}  // namespace

InputUse UseOfInput(const FusedKernel& kernel, int slot) {
  InputUse use;
  for (const Instr& instr : kernel.body) use.body |= instr.op == OpKind::kTensor && instr.slot == slot;
  if (kernel.has_reduction) {
    for (const Instr& instr : kernel.epilogue) use.epilogue |= instr.op == OpKind::kTensor && instr.slot == slot;
  }
  return use;
}

Extent OutputExtent(const FusedKernel& kernel, const KernelArgs& args) {
  if (!kernel.has_reduction) return {args.rows, args.cols};
  return {kernel.reduce_axis == 1 ? args.rows : 1, kernel.reduce_axis == 0 ? args.cols : 1};
}

void CheckKernelLaunch(const FusedKernel& kernel, const KernelArgs& args, const Backend& backend) {
  if (args.rows < 0 || args.cols < 0) {
    throw ArgumentError("run: iteration space " + std::to_string(args.rows) + " x " + std::to_string(args.cols) +
                        ", expected non-negative sizes");
  }
  if (args.inputs.size() != kernel.input_dtypes.size()) {
    throw ArgumentError("run: " + std::to_string(args.inputs.size()) + " inputs given, the kernel expects " +
                        std::to_string(kernel.input_dtypes.size()));
  }
  if (args.params.size() != static_cast<size_t>(kernel.num_params)) {
    throw ArgumentError("run: " + std::to_string(args.params.size()) + " params given, the kernel expects " +
                        std::to_string(kernel.num_params));
  }
  if (kernel.body.empty()) throw ArgumentError("run: the kernel body is empty, expected at least one instruction");
  bool all_float32 = kernel.output_dtype == DType::kFloat32;
  for (DType dtype : kernel.input_dtypes) all_float32 &= dtype == DType::kFloat32;
  if (kernel.compute_dtype != DType::kFloat64 && !(kernel.compute_dtype == DType::kFloat32 && all_float32)) {
    throw ArgumentError("run: compute dtype " + std::string(DTypeName(kernel.compute_dtype)) +
                        ", expected float64, or float32 when every input and the output are float32");
  }
  if (kernel.has_reduction) {
    if (!IsReduction(kernel.reduce_op)) {
      throw ArgumentError("run: reduce_op '" + std::string(OpName(kernel.reduce_op)) +
                          "', expected sum, max, min, argmax or argmin");
    }
    if (kernel.reduce_axis != 0 && kernel.reduce_axis != 1 && kernel.reduce_axis != kAllAxes) {
      throw ArgumentError("run: reduce_axis " + std::to_string(kernel.reduce_axis) + ", expected 0, 1 or -1 (all)");
    }
  }
  if (kernel.has_reduction && (kernel.reduce_op == OpKind::kArgmax || kernel.reduce_op == OpKind::kArgmin)) {
    const int64_t length = kernel.reduce_axis == 0 ? args.rows : kernel.reduce_axis == 1 ? args.cols : args.rows * args.cols;
    if (length == 0) {
      throw ArgumentError("run: " + std::string(OpName(kernel.reduce_op)) + " over an empty axis (" +
                          std::to_string(args.rows) + " x " + std::to_string(args.cols) + ", axis " +
                          std::to_string(kernel.reduce_axis) + ") has no index");
    }
  }
  CheckProgram(kernel.body, false, kernel, args);
  if (kernel.has_reduction) CheckProgram(kernel.epilogue, true, kernel, args);

  const Extent out = OutputExtent(kernel, args);
  for (size_t slot = 0; slot < args.inputs.size(); ++slot) {
    const TensorRef& input = args.inputs[slot];
    const auto what = [&] { return "run: input " + std::to_string(slot); };
    if (input.dtype != kernel.input_dtypes[slot]) {
      throw ArgumentError(what() + ": dtype " + std::string(DTypeName(input.dtype)) + ", the kernel expects " +
                          std::string(DTypeName(kernel.input_dtypes[slot])));
    }
    const InputUse use = UseOfInput(kernel, static_cast<int>(slot));
    if (!use.any()) continue;  // never read: need not be valid
    // Names are built only on failure: this runs on every launch.
    if (input.buffer == nullptr || &input.buffer->backend() != &backend) CheckOwnedBy(input.buffer, backend, what());
    // Inputs read only by the epilogue are indexed at output positions.
    const ViewAxis rows{use.body ? args.rows : out.rows, input.row_stride};
    const ViewAxis cols{use.body ? args.cols : out.cols, input.col_stride};
    if (!ViewFits(*input.buffer, input.dtype, input.offset, {rows, cols})) {
      CheckViewBounds(*input.buffer, input.dtype, input.offset, {rows, cols}, what());
    }
  }
  const TensorRef& output = args.output;
  if (output.dtype != kernel.output_dtype) {
    throw ArgumentError("run: output dtype " + std::string(DTypeName(output.dtype)) + ", the kernel expects " +
                        std::string(DTypeName(kernel.output_dtype)));
  }
  if (output.buffer == nullptr || &output.buffer->backend() != &backend) {
    CheckOwnedBy(output.buffer, backend, "run: output");
  }
  const ViewAxis rows{out.rows, output.row_stride};
  const ViewAxis cols{out.cols, output.col_stride};
  if (!ViewFits(*output.buffer, output.dtype, output.offset, {rows, cols})) {
    CheckViewBounds(*output.buffer, output.dtype, output.offset, {rows, cols}, "run: output");
  }
}

void CheckGemmLaunch(const GemmArgs& args, const Backend& backend) {
  if (args.dtype != DType::kFloat32 && args.dtype != DType::kFloat64) {
    throw ArgumentError("gemm: dtype " + std::string(DTypeName(args.dtype)) + ", expected float32 or float64");
  }
  if (args.m < 0 || args.n < 0 || args.k < 0 || args.batch < 1) {
    throw ArgumentError("gemm: m=" + std::to_string(args.m) + " n=" + std::to_string(args.n) + " k=" +
                        std::to_string(args.k) + " batch=" + std::to_string(args.batch) +
                        ", expected non-negative sizes and batch >= 1");
  }
  if (args.c.trans) throw ArgumentError("gemm: C cannot be transposed");
  const auto check = [&](const MatrixRef& matrix, int64_t rows, int64_t cols, const char* name) {
    const std::string what = std::string("gemm ") + name;
    CheckOwnedBy(matrix.buffer, backend, what);
    CheckGemmOperand(matrix, args.dtype, rows, cols, args.batch, what);
  };
  check(args.a, args.m, args.k, "A");
  check(args.b, args.k, args.n, "B");
  check(args.c, args.m, args.n, "C");
}

void CheckRandomLaunch(const RandomArgs& args, const Backend& backend) {
  if (args.rows < 0 || args.cols < 0) {
    throw ArgumentError("fill_random: " + std::to_string(args.rows) + " x " + std::to_string(args.cols) +
                        ", expected non-negative sizes");
  }
  if (args.distribution != Distribution::kUniform && args.distribution != Distribution::kNormal &&
      args.distribution != Distribution::kBernoulli) {
    throw ArgumentError("fill_random: unknown distribution " + std::to_string(static_cast<int>(args.distribution)) +
                        ", expected uniform, normal or bernoulli");
  }
  const TensorRef& dst = args.dst;
  CheckOwnedBy(dst.buffer, backend, "fill_random dst");
  CheckViewBounds(*dst.buffer, dst.dtype, dst.offset, {{args.rows, dst.row_stride}, {args.cols, dst.col_stride}},
                  "fill_random dst");
}

void CheckOwnedBy(const Buffer* buffer, const Backend& backend, const std::string& what) {
  if (buffer == nullptr) throw ArgumentError(what + ": no buffer (expected a buffer of backend '" + backend.info().name + "')");
  if (&buffer->backend() != &backend) {
    throw ArgumentError(what + ": the buffer belongs to backend '" + buffer->backend().instance_name() +
                        "', expected one of backend '" + backend.instance_name() + "'");
  }
}

}  // namespace neon
