#include "backends/cpu/fused.h"

#include <string>
#include <vector>

#include "backends/cpu/host_access.h"
#include "backends/cpu/reduce.h"
#include "backends/cpu/tiles.h"
#include "graph/error.h"

namespace neon::cpu {

namespace {

// ---------------------------------------------------------------- validation

std::string Where(const char* part, size_t k) {
  return std::string(part) + " instruction " + std::to_string(k);
}

void ValidateInstrs(const std::vector<Instr>& instrs, const FusedKernel& kernel, const KernelArgs& args,
                    bool epilogue) {
  const char* part = epilogue ? "epilogue" : "body";
  for (size_t k = 0; k < instrs.size(); ++k) {
    const Instr& in = instrs[k];
    if (static_cast<int>(in.op) >= kNumOpKinds) throw ArgumentError(Where(part, k) + ": unknown op kind");
    const auto operand_ok = [&](int32_t r) { return r >= 0 && static_cast<size_t>(r) < k; };
    switch (ClassOf(in.op)) {
      case OpClass::kUnary:
        if (!operand_ok(in.a)) throw ArgumentError(Where(part, k) + " (" + std::string(OpName(in.op)) + "): operand register " + std::to_string(in.a) + " is not an earlier instruction");
        break;
      case OpClass::kBinary:
        if (!operand_ok(in.a) || !operand_ok(in.b)) throw ArgumentError(Where(part, k) + " (" + std::string(OpName(in.op)) + "): operand registers " + std::to_string(in.a) + ", " + std::to_string(in.b) + " must be earlier instructions");
        break;
      default:
        switch (in.op) {
          case OpKind::kTensor:
            if (in.slot < 0 || static_cast<size_t>(in.slot) >= args.inputs.size())
              throw ArgumentError(Where(part, k) + ": input slot " + std::to_string(in.slot) + " out of range, expected < " + std::to_string(args.inputs.size()));
            break;
          case OpKind::kScalar:
            if (in.slot < 0 || in.slot >= kernel.num_params)
              throw ArgumentError(Where(part, k) + ": param slot " + std::to_string(in.slot) + " out of range, expected < " + std::to_string(kernel.num_params));
            break;
          case OpKind::kRand:
            if (in.slot < 0 || in.slot + 2 >= kernel.num_params)
              throw ArgumentError(Where(part, k) + ": rand needs param slots " + std::to_string(in.slot) + ".." + std::to_string(in.slot + 2) + ", expected < " + std::to_string(kernel.num_params));
            break;
          case OpKind::kRowIndex:
          case OpKind::kColIndex:
            break;
          case OpKind::kReduced:
            if (!epilogue) throw ArgumentError(Where(part, k) + ": 'reduced' is only valid in an epilogue");
            break;
          default:
            throw ArgumentError(Where(part, k) + ": '" + std::string(OpName(in.op)) + "' cannot appear in a fused kernel (expected an elementwise op, tensor, scalar, rand or index)");
        }
    }
  }
}

void Validate(const FusedKernel& kernel, const KernelArgs& args) {
  if (kernel.body.empty()) throw ArgumentError("fused kernel: empty body, expected at least one instruction");
  if (args.rows < 0 || args.cols < 0) throw ArgumentError("fused kernel: negative shape " + std::to_string(args.rows) + " x " + std::to_string(args.cols));
  if (args.inputs.size() != kernel.input_dtypes.size())
    throw ArgumentError("fused kernel: " + std::to_string(args.inputs.size()) + " inputs given, the program declares " + std::to_string(kernel.input_dtypes.size()));
  for (size_t s = 0; s < args.inputs.size(); ++s) {
    if (args.inputs[s].dtype != kernel.input_dtypes[s])
      throw ArgumentError("fused kernel: input " + std::to_string(s) + " is " + std::string(DTypeName(args.inputs[s].dtype)) + ", the program expects " + std::string(DTypeName(kernel.input_dtypes[s])));
  }
  if (static_cast<int>(args.params.size()) < kernel.num_params)
    throw ArgumentError("fused kernel: " + std::to_string(args.params.size()) + " params given, expected " + std::to_string(kernel.num_params));
  if (args.output.dtype != kernel.output_dtype)
    throw ArgumentError("fused kernel: output is " + std::string(DTypeName(args.output.dtype)) + ", the program expects " + std::string(DTypeName(kernel.output_dtype)));
  if (kernel.compute_dtype == DType::kFloat32) {
    bool all_f32 = kernel.output_dtype == DType::kFloat32;
    for (DType d : kernel.input_dtypes) all_f32 = all_f32 && d == DType::kFloat32;
    if (!all_f32) throw ArgumentError("fused kernel: compute dtype float32 requires float32 inputs and output (expected compute dtype float64)");
  } else if (kernel.compute_dtype != DType::kFloat64) {
    throw ArgumentError("fused kernel: compute dtype " + std::string(DTypeName(kernel.compute_dtype)) + ", expected float32 or float64");
  }
  ValidateInstrs(kernel.body, kernel, args, false);
  if (kernel.has_reduction) {
    const OpKind r = kernel.reduce_op;
    if (r != OpKind::kSum && r != OpKind::kMax && r != OpKind::kMin && r != OpKind::kArgmax && r != OpKind::kArgmin)
      throw ArgumentError("fused kernel: reduction '" + std::string(OpName(r)) + "', expected sum, max, min, argmax or argmin");
    if (kernel.reduce_axis != 0 && kernel.reduce_axis != 1 && kernel.reduce_axis != kAllAxes)
      throw ArgumentError("fused kernel: reduction axis " + std::to_string(kernel.reduce_axis) + ", expected 0, 1 or -1 (all)");
    ValidateInstrs(kernel.epilogue, kernel, args, true);
  }
}

template <typename T>
void RunTyped(const FusedKernel& kernel, const KernelArgs& args, int threads) {
  // Prepared into this thread's programs of the last launch: no allocation per launch.
  thread_local Program<T> body_cache, epilogue_cache;
  Program<T>& body = body_cache;
  Prepare<T>(kernel.body, args, body);
  Space<T> space{args.rows, args.cols, &args, nullptr};
  if (!kernel.has_reduction) {
    RunElementwise(body, space, args.output, threads);
    return;
  }
  std::vector<T> reduced;
  Reduce(body, space, kernel.reduce_op, kernel.reduce_axis, threads, reduced);

  static const std::vector<Instr> kIdentity = {{OpKind::kReduced}};
  const std::vector<Instr>& epilogue = kernel.epilogue.empty() ? kIdentity : kernel.epilogue;
  Program<T>& post = epilogue_cache;
  Prepare<T>(epilogue, args, post);
  Space<T> out_space{kernel.reduce_axis == 1 ? args.rows : 1, kernel.reduce_axis == 0 ? args.cols : 1, &args,
                     reduced.data()};
  RunElementwise(post, out_space, args.output, threads);
}

void CheckViews(const FusedKernel& kernel, const KernelArgs& args) {
  const int64_t out_rows = !kernel.has_reduction || kernel.reduce_axis == 1 ? args.rows : 1;
  const int64_t out_cols = !kernel.has_reduction || kernel.reduce_axis == 0 ? args.cols : 1;
  for (const Instr& in : kernel.body)
    if (in.op == OpKind::kTensor) CheckView(args.inputs[in.slot], args.rows, args.cols, "fused kernel input", in.slot);
  if (kernel.has_reduction) {
    for (const Instr& in : kernel.epilogue)
      if (in.op == OpKind::kTensor) CheckView(args.inputs[in.slot], out_rows, out_cols, "fused kernel epilogue input", in.slot);
  }
  CheckView(args.output, out_rows, out_cols, "fused kernel output");
}

}  // namespace

void RunFused(const FusedKernel& kernel, const KernelArgs& args, int num_threads) {
  Validate(kernel, args);
  CheckViews(kernel, args);
  if (kernel.compute_dtype == DType::kFloat32) {
    RunTyped<float>(kernel, args, num_threads);
  } else {
    RunTyped<double>(kernel, args, num_threads);
  }
}

}  // namespace neon::cpu
