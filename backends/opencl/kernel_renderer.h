// Renders a FusedKernel into OpenCL C: one kernel `neon_fused` per program,
// whose source depends only on FusedKernel::Key() (and on whether arguments
// are packed into buffers). Sizes, strides, offsets and parameters are kernel
// arguments; reductions are work-group tree reductions in local memory.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/kernel.h"

namespace neon::opencl {

// How a scalar parameter travels: in the compute type, or as an exact
// unsigned 64-bit integer (the key and counter offset of kRand).
enum class ParamKind { kReal, kU64 };

struct RenderedKernel {
  static constexpr const char* kName = "neon_fused";
  // Elementwise kernels only, same arguments: the program for views whose
  // column strides are all 1 (2-D range), and for views that are all
  // row-major contiguous over (rows, cols) (1-D range of exactly rows * cols
  // items, no bounds test; strides ignored, (i, j) at offset + i * cols + j).
  static constexpr const char* kUnitName = "neon_fused_unit";
  static constexpr const char* kFlatName = "neon_fused_flat";
  // Reductions over all axes run in two stages, both kernels taking the same
  // arguments: kName writes one partial per work-group into part_v / part_i,
  // kFinalName (one work-group) combines `parts` partials and runs the epilogue.
  static constexpr const char* kFinalName = "neon_fused_final";
  // Reductions, same arguments again: without local memory, for CPU devices
  // (where work-group barriers are expensive): one work-item per output row
  // (axis 1), per block of kSerialColumns columns (axis 0), or per partial of
  // `count` consecutive elements (all axes).
  static constexpr int kSerialColumns = 16;
  static constexpr const char* kSerialName = "neon_fused_serial";
  static constexpr const char* kSerialFinalName = "neon_fused_serial_final";

  std::string source;
  std::vector<ParamKind> param_kinds;   // one per parameter slot
  bool packed = false;                  // scalars in buffers, not arguments
  bool needs_float64 = false;

  // Unpacked argument order:
  //   rows, cols, {src_s, off_s, row_stride_s, col_stride_s} per input slot,
  //   dst, dst_off, dst_row_stride, dst_col_stride, p_0 .. p_{n-1},
  //   [reductions: long item_step, long iter_step, long count]
  //   [all axes: __global REAL* part_v, __global long* part_i (arg only), long parts]
  //   [__local REAL* scratch_v, __local long* scratch_i (argmax/argmin only)]
  // Packed argument order:
  //   meta (long: rows, cols, off/row/col stride per input, then dst, then
  //   the kU64 params by slot), reals (REAL: the params by slot), src_0 ..
  //   src_{n-1}, dst, [item_step, iter_step, count], [part_v, part_i, parts],
  //   [scratch_v, scratch_i].
  // Launch: without a reduction a 2-D range (cols, rows) rounded up to the
  // work-group size (flat variant: 1-D over rows * cols); with one, one
  // work-group (power-of-two size) per output.
};

// The OpenCL C program for `kernel`; ArgumentError if the program is malformed.
RenderedKernel RenderFusedKernel(const FusedKernel& kernel, bool pack_args);

// Whether the program computes or stores float64 (needs cl_khr_fp64).
bool NeedsFloat64(const FusedKernel& kernel);

// BackendError naming the device and the kernel when the kernel needs float64
// and the device has no cl_khr_fp64.
void CheckFloat64Support(const FusedKernel& kernel, bool device_has_float64,
                         std::string_view device_name);

// Bytes of kernel arguments without packing (pointers counted as 8 bytes).
size_t UnpackedArgumentBytes(const FusedKernel& kernel);
// Bytes of kernel arguments packed (scalars, strides and offsets in two buffers): a pointer
// per input.
size_t PackedArgumentBytes(const FusedKernel& kernel);
// The most inputs a packed kernel of any kind fits in `max_parameter_bytes` (0 if none).
int MaxPackedInputs(size_t max_parameter_bytes);

// Common head of every program: FP_CONTRACT OFF, Philox, and the scalar ops
// for float (and double when with_float64).
std::string ProgramPrelude(bool with_float64);

}  // namespace neon::opencl
