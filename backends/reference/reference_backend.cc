#include "backends/reference/reference_backend.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "backends/host_buffer.h"
#include "backends/host_ops.h"
#include "backends/validate.h"
#include "core/error.h"
#include "core/philox.h"
#include "core/scalar_ops.h"

namespace neon {

namespace {

template <typename... Parts>
std::string Str(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}

// ---- validation ----

// ---- element access: convert to double on load, from double on store ----

int64_t ElementIndex(const TensorRef& ref, int64_t i, int64_t j) {
  return ref.offset + i * ref.row_stride + j * ref.col_stride;
}

double Load(const TensorRef& ref, int64_t i, int64_t j) {
  const std::byte* data = HostBuffer::Data(ref.buffer);
  const int64_t index = ElementIndex(ref, i, j);
  switch (ref.dtype) {
    case DType::kFloat32:
      return reinterpret_cast<const float*>(data)[index];
    case DType::kFloat64:
      return reinterpret_cast<const double*>(data)[index];
    case DType::kInt32:
      return reinterpret_cast<const int32_t*>(data)[index];
  }
  throw ArgumentError("Load: unknown dtype");
}

void Store(const TensorRef& ref, int64_t i, int64_t j, double value) {
  std::byte* data = HostBuffer::Data(ref.buffer);
  const int64_t index = ElementIndex(ref, i, j);
  switch (ref.dtype) {
    case DType::kFloat32:
      reinterpret_cast<float*>(data)[index] = static_cast<float>(value);
      return;
    case DType::kFloat64:
      reinterpret_cast<double*>(data)[index] = value;
      return;
    case DType::kInt32:
      reinterpret_cast<int32_t*>(data)[index] = ToInt32(value);
      return;
  }
  throw ArgumentError("Store: unknown dtype");
}

// ---- the fused-kernel interpreter ----


// Evaluates `program` at position (i, j); `stream_cols` is the width used to
// number kRand stream positions, `reduced` is what kReduced reads.
double Evaluate(const std::vector<Instr>& program, const KernelArgs& args, int64_t i, int64_t j,
                int64_t stream_cols, double reduced, std::vector<double>& regs) {
  regs.resize(program.size());
  for (size_t k = 0; k < program.size(); ++k) {
    const Instr& instr = program[k];
    double& result = regs[k];
    switch (instr.op) {
      case OpKind::kTensor:
        result = Load(args.inputs[instr.slot], i, j);
        break;
      case OpKind::kScalar:
        result = args.params[instr.slot];
        break;
      case OpKind::kRowIndex:
        result = static_cast<double>(i);
        break;
      case OpKind::kColIndex:
        result = static_cast<double>(j);
        break;
      case OpKind::kReduced:
        result = reduced;
        break;
      case OpKind::kRand: {
        const uint64_t key = static_cast<uint64_t>(args.params[instr.slot]) |
                             static_cast<uint64_t>(args.params[instr.slot + 1]) << 32;
        const uint64_t position =
            static_cast<uint64_t>(args.params[instr.slot + 2]) + i * stream_cols + j;
        result = philox::Uniform(philox::Bits(key, position));
        break;
      }
      default:
        result = ClassOf(instr.op) == OpClass::kUnary
                     ? ApplyUnary(instr.op, regs[instr.a])
                     : ApplyBinary(instr.op, regs[instr.a], regs[instr.b]);
    }
  }
  return regs.back();
}

// Running state of one output position's reduction.
struct Accumulator {
  double value = 0;
  int64_t index = -1;  // position along the reduced axis of `value`; -1 before the first
};

// Folds value x at reduced-axis position t into acc.
void Accumulate(OpKind op, Accumulator& acc, double x, int64_t t) {
  if (acc.index < 0) {
    acc = {x, t};
    return;
  }
  switch (op) {
    case OpKind::kSum:
      acc.value += x;
      break;
    // max/min propagate NaN: once NaN, always NaN.
    case OpKind::kMax:
      if (!std::isnan(acc.value) && (std::isnan(x) || x > acc.value)) acc.value = x;
      break;
    case OpKind::kMin:
      if (!std::isnan(acc.value) && (std::isnan(x) || x < acc.value)) acc.value = x;
      break;
    // argmax/argmin: strict comparison keeps the first index on ties; NaN beats
    // everything and the first NaN is never replaced.
    case OpKind::kArgmax:
      if (!std::isnan(acc.value) && (std::isnan(x) || x > acc.value)) acc = {x, t};
      break;
    case OpKind::kArgmin:
      if (!std::isnan(acc.value) && (std::isnan(x) || x < acc.value)) acc = {x, t};
      break;
    default:
      throw ArgumentError(Str("run: reduce_op '", OpName(op), "' is not a reduction"));
  }
}

// The reduction's result: the value, or the index for argmax/argmin.
double Result(OpKind op, const Accumulator& acc) {
  if (acc.index < 0) {  // empty axis
    if (op == OpKind::kMax) return -INFINITY;
    if (op == OpKind::kMin) return INFINITY;
    return 0.0;
  }
  return op == OpKind::kArgmax || op == OpKind::kArgmin ? static_cast<double>(acc.index)
                                                        : acc.value;
}

}  // namespace

ReferenceBackend::ReferenceBackend() {
  info_.name = "reference";
  info_.kind = "reference";
  info_.description = "plain loops in float64 (the oracle)";
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGE_SIZE);
  info_.memory_bytes = pages > 0 && page_size > 0 ? static_cast<uint64_t>(pages) * page_size : 0;
  info_.compute_units = 1;
  info_.supports_float64 = true;
}

std::shared_ptr<Buffer> ReferenceBackend::allocate(size_t bytes) {
  return std::make_shared<HostBuffer>(*this, bytes);
}

void ReferenceBackend::copy_in(Buffer& dst, size_t offset, const void* src, size_t bytes) {
  CheckOwnedBy(&dst, *this, "copy_in dst");
  CheckByteRange(dst, offset, bytes, "copy_in dst");
  if (bytes == 0) return;
  if (src == nullptr) throw ArgumentError("copy_in: host source is null");
  std::memcpy(HostBuffer::Data(&dst) + offset, src, bytes);
}

void ReferenceBackend::copy_out(const Buffer& src, size_t offset, void* dst, size_t bytes) {
  CheckOwnedBy(&src, *this, "copy_out src");
  CheckByteRange(src, offset, bytes, "copy_out src");
  if (bytes == 0) return;
  if (dst == nullptr) throw ArgumentError("copy_out: host destination is null");
  std::memcpy(dst, HostBuffer::Data(&src) + offset, bytes);
}

void ReferenceBackend::copy(const Buffer& src, size_t src_offset, Buffer& dst, size_t dst_offset,
                            size_t bytes) {
  CheckOwnedBy(&src, *this, "copy src");
  CheckOwnedBy(&dst, *this, "copy dst");
  CheckByteRange(src, src_offset, bytes, "copy src");
  CheckByteRange(dst, dst_offset, bytes, "copy dst");
  if (bytes == 0) return;
  // memmove: source and destination may overlap inside one buffer.
  std::memmove(HostBuffer::Data(&dst) + dst_offset, HostBuffer::Data(&src) + src_offset, bytes);
}

void ReferenceBackend::run(const FusedKernel& kernel, const KernelArgs& args) {
  CheckKernelLaunch(kernel, args, *this);
  const TensorRef& output = args.output;
  const auto [out_rows, out_cols] = OutputExtent(kernel, args);

  std::vector<double> regs;

  // ---- elementwise only: out[i, j] = body(i, j) ----
  if (!kernel.has_reduction) {
    for (int64_t i = 0; i < args.rows; ++i) {
      for (int64_t j = 0; j < args.cols; ++j) {
        Store(output, i, j, Evaluate(kernel.body, args, i, j, args.cols, 0.0, regs));
      }
    }
    return;
  }

  // ---- reduction: reduce every output position first, then run the epilogue ----
  const int axis = kernel.reduce_axis;
  // Output position (oi, oj) reduces `length` values; the t-th is body(i, j) below.
  const int64_t length = axis == 0 ? args.rows : axis == 1 ? args.cols : args.rows * args.cols;
  std::vector<double> reduced(out_rows * out_cols);
  for (int64_t oi = 0; oi < out_rows; ++oi) {
    for (int64_t oj = 0; oj < out_cols; ++oj) {
      Accumulator acc;
      for (int64_t t = 0; t < length; ++t) {
        const int64_t i = axis == 0 ? t : axis == 1 ? oi : t / args.cols;
        const int64_t j = axis == 0 ? oj : axis == 1 ? t : t % args.cols;
        Accumulate(kernel.reduce_op, acc, Evaluate(kernel.body, args, i, j, args.cols, 0.0, regs),
                   t);
      }
      reduced[oi * out_cols + oj] = Result(kernel.reduce_op, acc);
    }
  }
  // The output is written only now, so it may alias an input of the body.
  for (int64_t oi = 0; oi < out_rows; ++oi) {
    for (int64_t oj = 0; oj < out_cols; ++oj) {
      const double value = reduced[oi * out_cols + oj];
      Store(output, oi, oj,
            kernel.epilogue.empty()
                ? value
                : Evaluate(kernel.epilogue, args, oi, oj, out_cols, value, regs));
    }
  }
}

void ReferenceBackend::gemm(const GemmArgs& args) {
  CheckGemmLaunch(args, *this);

  // op(X) as a strided (rows x cols) view of matrix `b` of the batch.
  auto view = [&](const MatrixRef& matrix, int64_t b) {
    return TensorRef{matrix.buffer, matrix.offset + b * matrix.batch_stride,
                     matrix.trans ? 1 : matrix.ld, matrix.trans ? matrix.ld : 1, args.dtype};
  };

  // Every product is formed before C is written, so C may overlap A or B.
  std::vector<double> products(args.batch * args.m * args.n);
  for (int64_t b = 0; b < args.batch; ++b) {
    const TensorRef a = view(args.a, b), bm = view(args.b, b);
    for (int64_t i = 0; i < args.m; ++i) {
      for (int64_t j = 0; j < args.n; ++j) {
        double sum = 0.0;
        for (int64_t p = 0; p < args.k; ++p) sum += Load(a, i, p) * Load(bm, p, j);
        products[(b * args.m + i) * args.n + j] = sum;
      }
    }
  }
  for (int64_t b = 0; b < args.batch; ++b) {
    const TensorRef c = view(args.c, b);
    for (int64_t i = 0; i < args.m; ++i) {
      for (int64_t j = 0; j < args.n; ++j) {
        double value = args.alpha * products[(b * args.m + i) * args.n + j];
        if (args.beta != 0.0) value += args.beta * Load(c, i, j);  // beta == 0: C is never read
        Store(c, i, j, value);
      }
    }
  }
}

void ReferenceBackend::fill_random(const RandomArgs& args) {
  CheckRandomLaunch(args, *this);
  const TensorRef& dst = args.dst;
  for (int64_t i = 0; i < args.rows; ++i) {
    for (int64_t j = 0; j < args.cols; ++j) {
      const uint64_t position = args.counter_offset + static_cast<uint64_t>(i * args.cols + j);
      double value = 0.0;
      switch (args.distribution) {
        case Distribution::kUniform: {
          const double u = philox::Uniform(philox::Bits(args.seed, position));
          if (dst.dtype == DType::kFloat32) {
            // float32 math for a float32 destination (compiled with -ffp-contract=off).
            const float a = static_cast<float>(args.a), b = static_cast<float>(args.b);
            value = a + (b - a) * static_cast<float>(u);
          } else {
            value = args.a + (args.b - args.a) * u;
          }
          break;
        }
        case Distribution::kNormal:
          value = args.a + args.b * philox::Normal(args.seed, position);
          break;
        case Distribution::kBernoulli:
          value = philox::Bernoulli(philox::Bits(args.seed, position), args.a);
          break;
        default:
          throw ArgumentError(
              Str("fill_random: unknown distribution ", static_cast<int>(args.distribution)));
      }
      Store(dst, i, j, value);
    }
  }
}

std::unique_ptr<Backend> MakeReferenceBackend() { return std::make_unique<ReferenceBackend>(); }

bool ReferenceBackend::supports(std::string_view feature) const {
  return feature == "conv_fprop" || feature == "conv_bprop_data" || feature == "conv_bprop_filter" ||
         feature == "pool_fprop" || feature == "pool_bprop" || feature == "batch_norm_fprop" ||
         feature == "batch_norm_bprop";
}

void ReferenceBackend::conv_fprop(const ConvArgs& args) { host_ops::ConvOnHost(*this, args, ConvPass::kFprop, false); }
void ReferenceBackend::conv_bprop_data(const ConvArgs& args) {
  host_ops::ConvOnHost(*this, args, ConvPass::kBpropData, false);
}
void ReferenceBackend::conv_bprop_filter(const ConvArgs& args) {
  host_ops::ConvOnHost(*this, args, ConvPass::kBpropFilter, false);
}
void ReferenceBackend::pool_fprop(const PoolArgs& args) { host_ops::PoolOnHost(*this, args, false, false); }
void ReferenceBackend::pool_bprop(const PoolArgs& args) { host_ops::PoolOnHost(*this, args, true, false); }
void ReferenceBackend::batch_norm_fprop(const BatchNormArgs& args) {
  host_ops::BatchNormOnHost(*this, args, false, false);
}
void ReferenceBackend::batch_norm_bprop(const BatchNormArgs& args) {
  host_ops::BatchNormOnHost(*this, args, true, false);
}

}  // namespace neon
