#include "backends/opencl/kernel_renderer.h"

#include <string>
#include <vector>

#include "backends/opencl/embedded_kernels.h"
#include "graph/error.h"

namespace neon::opencl {

namespace {

const char* CType(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return "float";
    case DType::kFloat64: return "double";
    case DType::kInt32: return "int";
  }
  return "?";
}

// Everything the instruction emitter needs to know about the program.
struct Context {
  const FusedKernel& kernel;
  std::string real;     // "float" or "double"
  std::string suffix;   // "_f" or "_d"
  enum class Layout { kStrided, kUnitCols, kFlat } layout = Layout::kStrided;
  std::string Fn(const char* name) const { return std::string(name) + suffix; }
  // Element index of `view` at (i, j): general strides; column stride 1; or
  // row-major contiguous over the iteration space (flat index g).
  std::string Index(const std::string& view) const {
    switch (layout) {
      case Layout::kUnitCols: return view + "_off + i * " + view + "_rs + j";
      case Layout::kFlat: return view + "_off + g";
      default: return view + "_off + i * " + view + "_rs + j * " + view + "_cs";
    }
  }
};

std::string Reg(const char* prefix, int index) { return prefix + std::to_string(index); }

void CheckOperand(const std::vector<Instr>& instrs, size_t at, int32_t reg, const char* where) {
  if (reg < 0 || static_cast<size_t>(reg) >= at) {
    throw ArgumentError(std::string("FusedKernel ") + where + " instruction " + std::to_string(at) + " (" +
                        std::string(OpName(instrs[at].op)) + ") reads register " + std::to_string(reg) +
                        "; expected a register in [0, " + std::to_string(at) + ")");
  }
}

// The expression computing one instruction (registers `prefix`N).
std::string InstrExpr(const Context& ctx, const std::vector<Instr>& instrs, size_t at,
                      const char* prefix, bool epilogue) {
  const Instr& instr = instrs[at];
  const FusedKernel& k = ctx.kernel;
  const std::string& real = ctx.real;
  auto operand = [&](int32_t reg) {
    CheckOperand(instrs, at, reg, epilogue ? "epilogue" : "body");
    return Reg(prefix, reg);
  };
  auto check_slot = [&](int32_t slot, int count, int limit, const char* what) {
    if (slot < 0 || slot + count > limit) {
      throw ArgumentError("FusedKernel instruction " + std::to_string(at) + " (" + std::string(OpName(instr.op)) +
                          ") uses " + what + " slot " + std::to_string(slot) + "; expected slots within [0, " +
                          std::to_string(limit) + ")");
    }
  };
  switch (instr.op) {
    case OpKind::kTensor: {
      check_slot(instr.slot, 1, static_cast<int>(k.input_dtypes.size()), "input");
      std::string s = "src" + std::to_string(instr.slot);
      return "(" + real + ")" + s + "[" + ctx.Index(s) + "]";
    }
    case OpKind::kScalar:
      check_slot(instr.slot, 1, k.num_params, "param");
      return "p" + std::to_string(instr.slot);
    case OpKind::kRand: {
      check_slot(instr.slot, 3, k.num_params, "param");
      std::string p0 = "p" + std::to_string(instr.slot), p1 = "p" + std::to_string(instr.slot + 1),
                  p2 = "p" + std::to_string(instr.slot + 2);
      std::string position = epilogue ? "(ulong)(i * out_cols + j)" : "(ulong)(i * cols + j)";
      return ctx.Fn("neon_uniform") + "(neon_philox_bits(" + p0 + " | (" + p1 + " << 32), " + p2 + " + " +
             position + "))";
    }
    case OpKind::kRowIndex: return "(" + real + ")i";
    case OpKind::kColIndex: return "(" + real + ")j";
    case OpKind::kReduced:
      if (!epilogue) throw ArgumentError("FusedKernel body uses 'reduced'; expected it only in the epilogue");
      return "reduced";
    default: break;
  }
  if (ClassOf(instr.op) == OpClass::kUnary) {
    std::string x = operand(instr.a);
    switch (instr.op) {
      case OpKind::kFinite: return ctx.Fn("neon_finite") + "(" + x + ")";
      case OpKind::kNeg: return "-" + x;
      case OpKind::kAbs: return "fabs(" + x + ")";
      case OpKind::kSgn: return ctx.Fn("neon_sgn") + "(" + x + ")";
      case OpKind::kSqrt: return "sqrt(" + x + ")";
      case OpKind::kSqr: return x + " * " + x;
      case OpKind::kExp: return "exp(" + x + ")";
      case OpKind::kLog: return "log(" + x + ")";
      case OpKind::kExp2: return "exp2(" + x + ")";
      case OpKind::kLog2: return "log2(" + x + ")";
      case OpKind::kSig: return ctx.Fn("neon_sig") + "(" + x + ")";
      case OpKind::kSig2: return ctx.Fn("neon_sig2") + "(" + x + ")";
      case OpKind::kTanh: return "tanh(" + x + ")";
      case OpKind::kTanh2: return ctx.Fn("neon_tanh2") + "(" + x + ")";
      case OpKind::kSafelog: return ctx.Fn("neon_safelog") + "(" + x + ")";
      case OpKind::kRint: return "rint(" + x + ")";
      case OpKind::kBinarize: return ctx.Fn("neon_binarize") + "(" + x + ")";
      default: break;
    }
  } else if (ClassOf(instr.op) == OpClass::kBinary) {
    std::string x = operand(instr.a), y = operand(instr.b);
    auto compare = [&](const char* op) { return ctx.Fn("neon_bool") + "(" + x + " " + op + " " + y + ")"; };
    switch (instr.op) {
      case OpKind::kAdd: return x + " + " + y;
      case OpKind::kSub: return x + " - " + y;
      case OpKind::kMul: return x + " * " + y;
      case OpKind::kDiv: return x + " / " + y;
      case OpKind::kEq: return compare("==");
      case OpKind::kNe: return compare("!=");
      case OpKind::kLt: return compare("<");
      case OpKind::kLe: return compare("<=");
      case OpKind::kGt: return compare(">");
      case OpKind::kGe: return compare(">=");
      case OpKind::kPow: return "pow(" + x + ", " + y + ")";
      case OpKind::kMinimum: return ctx.Fn("neon_minimum") + "(" + x + ", " + y + ")";
      case OpKind::kMaximum: return ctx.Fn("neon_maximum") + "(" + x + ", " + y + ")";
      case OpKind::kShift: return ctx.Fn("neon_shift") + "(" + x + ", " + y + ")";
      default: break;
    }
  }
  throw ArgumentError("FusedKernel instruction " + std::to_string(at) + " is '" + std::string(OpName(instr.op)) +
                      "'; expected an elementwise op, tensor, scalar, rand, row/col index or reduced");
}

void EmitInstrs(const Context& ctx, const std::vector<Instr>& instrs, const char* prefix, bool epilogue,
                const std::string& indent, std::string& out) {
  for (size_t at = 0; at < instrs.size(); ++at) {
    out += indent + "const " + ctx.real + " " + Reg(prefix, static_cast<int>(at)) + " = " +
           InstrExpr(ctx, instrs, at, prefix, epilogue) + ";\n";
  }
}

std::vector<ParamKind> ParamKinds(const FusedKernel& kernel) {
  std::vector<ParamKind> kinds(kernel.num_params, ParamKind::kReal);
  for (const auto* instrs : {&kernel.body, &kernel.epilogue}) {
    for (const Instr& instr : *instrs) {
      if (instr.op != OpKind::kRand) continue;
      for (int s = instr.slot; s < instr.slot + 3; ++s) {
        if (s >= 0 && s < kernel.num_params) kinds[s] = ParamKind::kU64;
      }
    }
  }
  return kinds;
}

bool IsArgReduction(const FusedKernel& kernel) {
  return kernel.has_reduction && (kernel.reduce_op == OpKind::kArgmax || kernel.reduce_op == OpKind::kArgmin);
}

// Kernel parameter list, and (packed) the prologue reading scalars from buffers.
void EmitSignature(const FusedKernel& kernel, const RenderedKernel& rendered, const std::string& real,
                   const char* name, std::string& out) {
  const int inputs = static_cast<int>(kernel.input_dtypes.size());
  std::vector<std::string> params;
  std::string prologue;
  auto view = [&](const std::string& name, int meta_at) {
    for (const char* field : {"_off", "_rs", "_cs"}) {
      if (rendered.packed) {
        prologue += "  const long " + name + field + " = meta[" + std::to_string(meta_at++) + "];\n";
      } else {
        params.push_back("const long " + name + field);
      }
    }
  };
  if (rendered.packed) {
    params.push_back("__global const long* meta");
    params.push_back("__global const " + real + "* reals");
    prologue += "  const long rows = meta[0];\n  const long cols = meta[1];\n";
    for (int s = 0; s < inputs; ++s) {
      params.push_back("__global const " + std::string(CType(kernel.input_dtypes[s])) + "* src" + std::to_string(s));
    }
    params.push_back("__global " + std::string(CType(kernel.output_dtype)) + "* dst");
    for (int s = 0; s < inputs; ++s) view("src" + std::to_string(s), 2 + 3 * s);
    view("dst", 2 + 3 * inputs);
    const int u64_base = 5 + 3 * inputs;
    for (int p = 0; p < kernel.num_params; ++p) {
      std::string name = "p" + std::to_string(p);
      prologue += rendered.param_kinds[p] == ParamKind::kU64
                      ? "  const ulong " + name + " = (ulong)meta[" + std::to_string(u64_base + p) + "];\n"
                      : "  const " + real + " " + name + " = reals[" + std::to_string(p) + "];\n";
    }
  } else {
    params.push_back("const long rows");
    params.push_back("const long cols");
    for (int s = 0; s < inputs; ++s) {
      std::string name = "src" + std::to_string(s);
      params.push_back("__global const " + std::string(CType(kernel.input_dtypes[s])) + "* " + name);
      view(name, 0);
    }
    params.push_back("__global " + std::string(CType(kernel.output_dtype)) + "* dst");
    view("dst", 0);
    for (int p = 0; p < kernel.num_params; ++p) {
      params.push_back((rendered.param_kinds[p] == ParamKind::kU64 ? "const ulong p" : "const " + real + " p") +
                       std::to_string(p));
    }
  }
  if (kernel.has_reduction) {
    params.push_back("__local " + real + "* scratch_v");
    if (IsArgReduction(kernel)) params.push_back("__local long* scratch_i");
  }
  out += "__kernel void " + std::string(name) + "(";
  for (size_t p = 0; p < params.size(); ++p) out += (p ? ",\n    " : "") + params[p];
  out += ") {\n" + prologue;
}

std::string StoreExpr(const FusedKernel& kernel, const Context& ctx, const std::string& value) {
  switch (kernel.output_dtype) {
    case DType::kFloat32: return "(float)" + value;
    case DType::kFloat64: return "(double)" + value;
    case DType::kInt32: return ctx.Fn("neon_to_int32") + "(" + value + ")";
  }
  return value;
}

void EmitElementwise(const FusedKernel& kernel, const Context& ctx, std::string& out) {
  if (ctx.layout == Context::Layout::kFlat) {
    // 1-D range over rows * cols; i and j are dead code unless the body reads them.
    out += "  const long g = get_global_id(0);\n";
    out += "  if (g >= rows * cols) return;\n";
    out += "  const long i = g / cols, j = g - i * cols;\n";
  } else {
    out += "  const long j = get_global_id(0), i = get_global_id(1);\n";
    out += "  if (i >= rows || j >= cols) return;\n";
  }
  EmitInstrs(ctx, kernel.body, "r", false, "  ", out);
  out += "  dst[" + ctx.Index("dst") + "] = " +
         StoreExpr(kernel, ctx, Reg("r", static_cast<int>(kernel.body.size()) - 1)) + ";\n";
}

void EmitReduction(const FusedKernel& kernel, const Context& ctx, std::string& out) {
  const std::string& real = ctx.real;
  const bool arg = IsArgReduction(kernel);
  const int axis = kernel.reduce_axis;
  if (axis != 0 && axis != 1 && axis != kAllAxes) {
    throw ArgumentError("FusedKernel reduce_axis is " + std::to_string(axis) + "; expected 0, 1 or -1 (all)");
  }
  std::string init, step, combine;
  switch (kernel.reduce_op) {
    case OpKind::kSum:
      init = "(" + real + ")0";
      step = "acc += v;";
      combine = "scratch_v[lid] += scratch_v[lid + s];";
      break;
    case OpKind::kMax:
    case OpKind::kMin: {
      const char* fn = kernel.reduce_op == OpKind::kMax ? "neon_maximum" : "neon_minimum";
      init = kernel.reduce_op == OpKind::kMax ? "-(" + real + ")INFINITY" : "(" + real + ")INFINITY";
      step = "acc = " + ctx.Fn(fn) + "(acc, v);";
      combine = "scratch_v[lid] = " + ctx.Fn(fn) + "(scratch_v[lid], scratch_v[lid + s]);";
      break;
    }
    case OpKind::kArgmax:
    case OpKind::kArgmin: {
      const std::string is_max = kernel.reduce_op == OpKind::kArgmax ? "1" : "0";
      init = "(" + real + ")0";
      step = "if (" + ctx.Fn("neon_arg_better") + "(v, p, acc, idx, " + is_max + ")) { acc = v; idx = p; }";
      combine = "if (" + ctx.Fn("neon_arg_better") + "(scratch_v[lid + s], scratch_i[lid + s], scratch_v[lid], " +
                "scratch_i[lid], " + is_max + ")) {\n        scratch_v[lid] = scratch_v[lid + s];\n" +
                "        scratch_i[lid] = scratch_i[lid + s];\n      }";
      break;
    }
    default:
      throw ArgumentError("FusedKernel reduce_op is '" + std::string(OpName(kernel.reduce_op)) +
                          "'; expected sum, max, min, argmax or argmin");
  }
  const char* n = axis == 1 ? "cols" : axis == 0 ? "rows" : "rows * cols";
  const char* i = axis == 1 ? "g" : axis == 0 ? "p" : "p / cols";
  const char* j = axis == 1 ? "p" : axis == 0 ? "g" : "p % cols";
  out += "  const long g = get_group_id(0);\n";
  out += "  const int lid = (int)get_local_id(0), lsize = (int)get_local_size(0);\n";
  out += "  const long n = " + std::string(n) + ";\n";
  out += "  " + real + " acc = " + init + ";\n";
  if (arg) out += "  long idx = -1;\n";
  out += "  for (long p = lid; p < n; p += lsize) {\n";
  out += "    const long i = " + std::string(i) + ", j = " + j + ";\n";
  EmitInstrs(ctx, kernel.body, "r", false, "    ", out);
  out += "    const " + real + " v = " + Reg("r", static_cast<int>(kernel.body.size()) - 1) + ";\n";
  out += "    " + step + "\n  }\n";
  out += "  scratch_v[lid] = acc;\n";
  if (arg) out += "  scratch_i[lid] = idx;\n";
  out += "  barrier(CLK_LOCAL_MEM_FENCE);\n";
  out += "  for (int s = lsize / 2; s > 0; s >>= 1) {\n";
  out += "    if (lid < s) {\n      " + combine + "\n    }\n";
  out += "    barrier(CLK_LOCAL_MEM_FENCE);\n  }\n";
  out += "  if (lid != 0) return;\n";
  // The epilogue runs at the output position; its kRand positions use the output's width.
  out += "  const long i = " + std::string(axis == 1 ? "g" : "0") + ", j = " + (axis == 0 ? "g" : "0") + ";\n";
  out += "  const long out_cols = " + std::string(axis == 0 ? "cols" : "1") + ";\n";
  out += "  const " + real + " reduced = " + (arg ? "(" + real + ")scratch_i[0]" : "scratch_v[0]") + ";\n";
  EmitInstrs(ctx, kernel.epilogue, "e", true, "  ", out);
  std::string result = kernel.epilogue.empty() ? "reduced" : Reg("e", static_cast<int>(kernel.epilogue.size()) - 1);
  out += "  (void)out_cols;\n";
  out += "  dst[dst_off + i * dst_rs + j * dst_cs] = " + StoreExpr(kernel, ctx, result) + ";\n";
}

}  // namespace

bool NeedsFloat64(const FusedKernel& kernel) {
  if (kernel.compute_dtype == DType::kFloat64 || kernel.output_dtype == DType::kFloat64) return true;
  for (DType dtype : kernel.input_dtypes) {
    if (dtype == DType::kFloat64) return true;
  }
  return false;
}

void CheckFloat64Support(const FusedKernel& kernel, bool device_has_float64, std::string_view device_name) {
  if (!NeedsFloat64(kernel) || device_has_float64) return;
  throw BackendError("OpenCL device '" + std::string(device_name) +
                     "' has no cl_khr_fp64, but kernel [" + kernel.Key() +
                     "] computes in float64 (compute dtype " + std::string(DTypeName(kernel.compute_dtype)) +
                     "); expected float32 operands and output on this device, or a device with float64");
}

size_t UnpackedArgumentBytes(const FusedKernel& kernel) {
  size_t bytes = 2 * 8 + (kernel.input_dtypes.size() + 1) * (8 + 3 * 8);
  bytes += static_cast<size_t>(kernel.num_params) * 8;
  if (kernel.has_reduction) bytes += 2 * 8;
  return bytes;
}

std::string ProgramPrelude(bool with_float64) {
  std::string out = "#pragma OPENCL FP_CONTRACT OFF\n";
  if (with_float64) out += "#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n";
  out += EmbeddedKernelSource("philox.cl");
  auto instantiate = [&](const char* real, const char* suffix, int is_double) {
    out += "\n#define REAL " + std::string(real) + "\n#define NEON_FN(name) name##" + suffix +
           "\n#define NEON_REAL_IS_DOUBLE " + std::to_string(is_double) + "\n";
    out += EmbeddedKernelSource("scalar_ops.cl");
    out += "#undef REAL\n#undef NEON_FN\n#undef NEON_REAL_IS_DOUBLE\n";
  };
  instantiate("float", "_f", 0);
  if (with_float64) instantiate("double", "_d", 1);
  return out;
}

RenderedKernel RenderFusedKernel(const FusedKernel& kernel, bool pack_args) {
  if (kernel.body.empty()) throw ArgumentError("FusedKernel has an empty body; expected at least one instruction");
  if (kernel.num_params < 0) throw ArgumentError("FusedKernel num_params is negative");
  RenderedKernel rendered;
  rendered.packed = pack_args;
  rendered.needs_float64 = NeedsFloat64(kernel);
  rendered.param_kinds = ParamKinds(kernel);
  const bool is_double = kernel.compute_dtype == DType::kFloat64;
  if (kernel.compute_dtype == DType::kInt32) {
    throw ArgumentError("FusedKernel compute dtype is int32; expected float32 or float64");
  }
  Context ctx{kernel, is_double ? "double" : "float", is_double ? "_d" : "_f"};
  std::string out = ProgramPrelude(rendered.needs_float64);
  out += "\n// Generated from FusedKernel " + kernel.Key() + "\n";
  EmitSignature(kernel, rendered, ctx.real, RenderedKernel::kName, out);
  if (kernel.has_reduction) {
    EmitReduction(kernel, ctx, out);
  } else {
    if (!kernel.epilogue.empty()) throw ArgumentError("FusedKernel has an epilogue but no reduction");
    EmitElementwise(kernel, ctx, out);
  }
  out += "}\n";
  if (!kernel.has_reduction) {
    // Variants for common layouts, chosen at launch when the views allow:
    // column stride 1 (contiguous rows), and row-major contiguous (flat).
    for (auto [layout, name] : {std::pair{Context::Layout::kUnitCols, RenderedKernel::kUnitName},
                                std::pair{Context::Layout::kFlat, RenderedKernel::kFlatName}}) {
      Context variant = ctx;
      variant.layout = layout;
      out += "\n";
      EmitSignature(kernel, rendered, ctx.real, name, out);
      EmitElementwise(kernel, variant, out);
      out += "}\n";
    }
  }
  rendered.source = std::move(out);
  return rendered;
}

}  // namespace neon::opencl
