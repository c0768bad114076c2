// OpenCLBackend::gemm: CLBlast's row-major GEMM (strided-batched for batches).
#include <clblast.h>

#include <algorithm>
#include <string>

#include "backends/opencl/opencl_backend.h"
#include "backends/validate.h"
#include "core/error.h"

namespace neon {

namespace {

// Checks one operand: `rows` x `cols` as stored (after undoing trans), ld, batches.

template <typename T>
clblast::StatusCode CallClblast(const GemmArgs& args, cl_mem a, cl_mem b, cl_mem c, cl_command_queue queue) {
  const auto ta = args.a.trans ? clblast::Transpose::kYes : clblast::Transpose::kNo;
  const auto tb = args.b.trans ? clblast::Transpose::kYes : clblast::Transpose::kNo;
  const auto alpha = static_cast<T>(args.alpha), beta = static_cast<T>(args.beta);
  if (args.batch == 1) {
    return clblast::Gemm<T>(clblast::Layout::kRowMajor, ta, tb, args.m, args.n, args.k, alpha, a, args.a.offset,
                            args.a.ld, b, args.b.offset, args.b.ld, beta, c, args.c.offset, args.c.ld, &queue);
  }
  return clblast::GemmStridedBatched<T>(clblast::Layout::kRowMajor, ta, tb, args.m, args.n, args.k, alpha, a,
                                        args.a.offset, args.a.ld, args.a.batch_stride, b, args.b.offset, args.b.ld,
                                        args.b.batch_stride, beta, c, args.c.offset, args.c.ld,
                                        args.c.batch_stride, args.batch, &queue);
}

}  // namespace

void OpenCLBackend::gemm(const GemmArgs& args) {
  if (args.dtype != DType::kFloat32 && args.dtype != DType::kFloat64) {
    throw ArgumentError("gemm: dtype " + std::string(DTypeName(args.dtype)) + "; expected float32 or float64");
  }
  if (args.dtype == DType::kFloat64 && !device_.info.supports_float64) {
    throw BackendError("gemm: OpenCL device '" + device_.device_name +
                       "' has no cl_khr_fp64; expected float32 operands on this device");
  }
  if (args.m < 0 || args.n < 0 || args.k < 0 || args.batch < 0) {
    throw ArgumentError("gemm: sizes m=" + std::to_string(args.m) + " n=" + std::to_string(args.n) + " k=" +
                        std::to_string(args.k) + " batch=" + std::to_string(args.batch) + "; expected >= 0");
  }
  if (args.c.trans) throw ArgumentError("gemm: C is marked transposed; expected trans only on A and B");
  CheckGemmOperand(args.a, args.dtype, args.m, args.k, args.batch, "gemm: A");
  CheckGemmOperand(args.b, args.dtype, args.k, args.n, args.batch, "gemm: B");
  CheckGemmOperand(args.c, args.dtype, args.m, args.n, args.batch, "gemm: C");
  if (args.m == 0 || args.n == 0 || args.batch == 0) return;
  for (const MatrixRef* operand : {&args.a, &args.b, &args.c}) Mem(*operand->buffer);   // ArgumentError if foreign
  if (args.k == 0) {
    // op(A) op(B) is empty: C = beta C (C ignored when beta == 0), as a fused kernel per batch entry.
    FusedKernel scale;
    scale.input_dtypes = {args.dtype};
    scale.num_params = 1;
    scale.compute_dtype = args.dtype;
    scale.output_dtype = args.dtype;
    if (args.beta == 0.0) {
      scale.body = {{OpKind::kScalar, -1, -1, 0}};
    } else {
      scale.body = {{OpKind::kTensor, -1, -1, 0}, {OpKind::kScalar, -1, -1, 0}, {OpKind::kMul, 0, 1}};
    }
    for (int64_t entry = 0; entry < args.batch; ++entry) {
      TensorRef view{args.c.buffer, args.c.offset + entry * args.c.batch_stride, args.c.ld, 1, args.dtype};
      KernelArgs run_args{args.m, args.n, {view}, view, {args.beta}};
      run(scale, run_args);
    }
    return;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  EnqueueGemm(args);
}

void OpenCLBackend::EnqueueGemm(const GemmArgs& args) {
  cl_mem a = Mem(*args.a.buffer), b = Mem(*args.b.buffer), c = Mem(*args.c.buffer);
  clblast::StatusCode status = args.dtype == DType::kFloat32 ? CallClblast<float>(args, a, b, c, queue_.get())
                                                             : CallClblast<double>(args, a, b, c, queue_.get());
  if (status != clblast::StatusCode::kSuccess) {
    throw BackendError("gemm: CLBlast failed with status " + std::to_string(static_cast<int>(status)) + " for " +
                       std::to_string(args.m) + "x" + std::to_string(args.n) + "x" + std::to_string(args.k) +
                       " (batch " + std::to_string(args.batch) + ", " + std::string(DTypeName(args.dtype)) +
                       ") on " + device_.device_name);
  }
}

}  // namespace neon
