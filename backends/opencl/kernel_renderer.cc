#include "backends/opencl/kernel_renderer.h"

#include <algorithm>
#include <limits>
#include <regex>
#include <string>
#include <vector>

#include "backends/opencl/embedded_kernels.h"
#include "core/error.h"

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
      case OpKind::kTanh: return ctx.Fn("neon_tanh") + "(" + x + ")";
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
    params.push_back("const long item_step");
    params.push_back("const long iter_step");
    params.push_back("const long count");
  }
  if (kernel.has_reduction && kernel.reduce_axis == kAllAxes) {
    params.push_back("__global " + real + "* part_v");
    if (IsArgReduction(kernel)) params.push_back("__global long* part_i");
    params.push_back("const long parts");
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
    // 1-D range of exactly rows * cols items: no bounds test, which would make
    // CPU drivers mask the vectorised loop. i and j are dead unless read.
    out += "  const long g = get_global_id(0);\n";
    out += "  const long i = g / cols, j = g - i * cols;\n";
  } else {
    out += "  const long j = get_global_id(0), i = get_global_id(1);\n";
    out += "  if (i >= rows || j >= cols) return;\n";
  }
  EmitInstrs(ctx, kernel.body, "r", false, "  ", out);
  out += "  dst[" + ctx.Index("dst") + "] = " +
         StoreExpr(kernel, ctx, Reg("r", static_cast<int>(kernel.body.size()) - 1)) + ";\n";
}

// Which part of a reduction a kernel does: the whole of it (axis 0 / 1: one
// work-group per output), or for all axes the two stages: per-group partials,
// then one group combining them and running the epilogue.
enum class Stage { kWhole, kPartial, kFinal };

// The accumulator's start value, one accumulation step of v (element index q)
// into acc (and idx), and the local-memory combine of slots lid and lid + s.
struct ReduceOps {
  std::string init, step, combine;
};

ReduceOps MakeReduceOps(const FusedKernel& kernel, const Context& ctx) {
  const std::string& real = ctx.real;
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
      step = "if (" + ctx.Fn("neon_arg_better") + "(v, q, acc, idx, " + is_max + ")) { acc = v; idx = q; }";
      combine = "if (" + ctx.Fn("neon_arg_better") + "(scratch_v[lid + s], scratch_i[lid + s], scratch_v[lid], " +
                "scratch_i[lid], " + is_max + ")) {\n        scratch_v[lid] = scratch_v[lid + s];\n" +
                "        scratch_i[lid] = scratch_i[lid + s];\n      }";
      break;
    }
    default:
      throw ArgumentError("FusedKernel reduce_op is '" + std::string(OpName(kernel.reduce_op)) +
                          "'; expected sum, max, min, argmax or argmin");
  }
  return {init, step, combine};
}

void EmitReduction(const FusedKernel& kernel, const Context& ctx, Stage stage, std::string& out) {
  const std::string& real = ctx.real;
  const bool arg = IsArgReduction(kernel);
  const int axis = kernel.reduce_axis;
  if (axis != 0 && axis != 1 && axis != kAllAxes) {
    throw ArgumentError("FusedKernel reduce_axis is " + std::to_string(axis) + "; expected 0, 1 or -1 (all)");
  }
  const auto [init, step, combine] = MakeReduceOps(kernel, ctx);
  out += "  const long g = get_group_id(0);\n";
  out += "  const int lid = (int)get_local_id(0), lsize = (int)get_local_size(0);\n";
  out += "  " + real + " acc = " + init + ";\n";
  if (arg) out += "  long idx = -1;\n";
  if (stage == Stage::kFinal) {
    // Combine the partials of stage one; q is the element index each carries.
    out += "  for (long p = lid; p < parts; p += lsize) {\n";
    out += "    const " + real + " v = part_v[p];\n";
    if (arg) out += "    const long q = part_i[p];\n";
  } else {
    const char* n = axis == 1 ? "cols" : axis == 0 ? "rows" : "rows * cols";
    const char* i = axis == 1 ? "g" : axis == 0 ? "p" : "p / cols";
    const char* j = axis == 1 ? "p" : axis == 0 ? "g" : "p % cols";
    // Work-item lid visits p = start + lid * item_step + t * iter_step for t < count:
    // (1, lsize) interleaves items (coalesced on GPUs), (count, 1) gives each
    // item a contiguous chunk (cache-friendly on CPUs). Chosen at launch.
    out += "  const long n = " + std::string(n) + ";\n";
    if (stage == Stage::kPartial) {
      out += "  const long start = g * lsize * count, end = min(n, start + lsize * count);\n";
    } else {
      out += "  const long start = 0, end = n;\n";
    }
    out += "  for (long t = 0; t < count; ++t) {\n";
    out += "    const long p = start + lid * item_step + t * iter_step;\n";
    out += "    if (p >= end) break;\n";
    out += "    const long i = " + std::string(i) + ", j = " + j + ";\n";
    EmitInstrs(ctx, kernel.body, "r", false, "    ", out);
    out += "    const " + real + " v = " + Reg("r", static_cast<int>(kernel.body.size()) - 1) + ";\n";
    if (arg) out += "    const long q = p;\n";
  }
  out += "    " + step + "\n  }\n";
  out += "  scratch_v[lid] = acc;\n";
  if (arg) out += "  scratch_i[lid] = idx;\n";
  out += "  barrier(CLK_LOCAL_MEM_FENCE);\n";
  out += "  for (int s = lsize / 2; s > 0; s >>= 1) {\n";
  out += "    if (lid < s) {\n      " + combine + "\n    }\n";
  out += "    barrier(CLK_LOCAL_MEM_FENCE);\n  }\n";
  out += "  if (lid != 0) return;\n";
  if (stage == Stage::kPartial) {
    out += "  part_v[g] = scratch_v[0];\n";
    if (arg) out += "  part_i[g] = scratch_i[0];\n";
    return;
  }
  // The epilogue runs at the output position; its kRand positions use the output's width.
  out += "  const long i = " + std::string(axis == 1 ? "g" : "0") + ", j = " + (axis == 0 ? "g" : "0") + ";\n";
  out += "  const long out_cols = " + std::string(axis == 0 ? "cols" : "1") + ";\n";
  out += "  const " + real + " reduced = " + (arg ? "(" + real + ")scratch_i[0]" : "scratch_v[0]") + ";\n";
  EmitInstrs(ctx, kernel.epilogue, "e", true, "  ", out);
  std::string result = kernel.epilogue.empty() ? "reduced" : Reg("e", static_cast<int>(kernel.epilogue.size()) - 1);
  out += "  (void)out_cols;\n";
  out += "  dst[dst_off + i * dst_rs + j * dst_cs] = " + StoreExpr(kernel, ctx, result) + ";\n";
}

// The accumulation loop of a serial reduction over k in [lo, hi): element
// (i, j) and index q are expressions of k. Sums, max and min keep four
// independent accumulators (one would wait on each add's latency in turn).
void EmitSerialLoop(const FusedKernel& kernel, const Context& ctx, const std::string& step, const std::string& lo,
                    const std::string& hi, const std::string& i, const std::string& j, const std::string& q,
                    const std::string& indent, std::string& out) {
  const std::string& real = ctx.real;
  const std::string last = Reg("r", static_cast<int>(kernel.body.size()) - 1);
  auto element = [&](const std::string& k, const std::string& acc, const std::string& pad) {
    out += pad + "{\n" + pad + "  const long k = " + k + ";\n";
    out += pad + "  const long i = " + i + ", j = " + j + ", q = " + q + ";\n";
    out += pad + "  (void)q;\n";
    EmitInstrs(ctx, kernel.body, "r", false, pad + "  ", out);
    out += pad + "  const " + real + " v = " + last + ";\n";
    out += pad + "  " + std::regex_replace(step, std::regex("\\bacc\\b"), acc) + "\n" + pad + "}\n";
  };
  out += indent + "long kk = " + lo + ";\n";
  if (!IsArgReduction(kernel)) {
    out += indent + "for (; kk + 3 < " + hi + "; kk += 4) {\n";
    for (int u = 0; u < 4; ++u) element("kk + " + std::to_string(u), u == 0 ? "acc" : "acc" + std::to_string(u), indent + "  ");
    out += indent + "}\n";
  }
  out += indent + "for (; kk < " + hi + "; ++kk) {\n";
  element("kk", "acc", indent + "  ");
  out += indent + "}\n";
}

// Serial axis-0 reduction: work-item g owns the columns j0 = g * kColumnBlock
// onward and walks the rows once, reading a row's block as one contiguous run
// (walking a single column at a large power-of-two stride thrashes CPU caches).
constexpr int kColumnBlock = RenderedKernel::kSerialColumns;

void EmitSerialColumns(const FusedKernel& kernel, const Context& ctx, const std::string& step, std::string& out) {
  const std::string& real = ctx.real;
  const bool arg = IsArgReduction(kernel);
  const auto [init, unused_step, combine] = MakeReduceOps(kernel, ctx);
  (void)unused_step;
  (void)combine;
  const std::string block = std::to_string(kColumnBlock);
  std::string step_c = std::regex_replace(step, std::regex("\\bacc\\b"), "accv[c]");
  step_c = std::regex_replace(step_c, std::regex("\\bidx\\b"), "idxv[c]");
  const std::string last = Reg("r", static_cast<int>(kernel.body.size()) - 1);
  out += "  const long j0 = g * " + block + ";\n";
  out += "  if (j0 >= cols) return;\n";
  out += "  const int width = (int)min((long)" + block + ", cols - j0);\n";
  out += "  " + real + " accv[" + block + "];\n";
  if (arg) out += "  long idxv[" + block + "];\n";
  out += "  for (int c = 0; c < " + block + "; ++c) {\n    accv[c] = " + init + ";\n";
  if (arg) out += "    idxv[c] = -1;\n";
  out += "  }\n";
  // Full blocks get a loop with a constant trip count (unrolled, vectorisable).
  for (const char* bound : {block.c_str(), "width"}) {
    const bool full = bound == block.c_str();
    out += full ? "  if (width == " + block + ") {\n" : "  } else {\n";
    out += "    for (long k = 0; k < rows; ++k) {\n";
    out += "      for (int c = 0; c < " + std::string(bound) + "; ++c) {\n";
    out += "        const long i = k, j = j0 + c, q = k;\n        (void)q;\n";
    EmitInstrs(ctx, kernel.body, "r", false, "        ", out);
    out += "        const " + real + " v = " + last + ";\n";
    out += "        " + step_c + "\n      }\n    }\n";
  }
  out += "  }\n";
  out += "  for (int c = 0; c < width; ++c) {\n";
  out += "    const long i = 0, j = j0 + c;\n";
  out += "    const long out_cols = cols;\n    (void)out_cols;\n";
  out += "    const " + real + " reduced = " + (arg ? "(" + real + ")idxv[c]" : "accv[c]") + ";\n";
  EmitInstrs(ctx, kernel.epilogue, "e", true, "    ", out);
  std::string result = kernel.epilogue.empty() ? "reduced" : Reg("e", static_cast<int>(kernel.epilogue.size()) - 1);
  out += "    dst[dst_off + i * dst_rs + j * dst_cs] = " + StoreExpr(kernel, ctx, result) + ";\n  }\n";
}

// The reduction with one work-item per output and no local memory (CPU
// devices: each item streams through its elements; no barriers to split the
// work-group loop). Same stages as EmitReduction; each all-axes partial
// covers `count` consecutive elements, walked row by row.
void EmitSerialReduction(const FusedKernel& kernel, const Context& ctx, Stage stage, std::string& out) {
  const std::string& real = ctx.real;
  const bool arg = IsArgReduction(kernel);
  const int axis = kernel.reduce_axis;
  const auto [init, step, combine] = MakeReduceOps(kernel, ctx);
  (void)combine;
  out += "  const long g = get_global_id(0);\n";
  out += "  " + real + " acc = " + init + ", acc1 = " + init + ", acc2 = " + init + ", acc3 = " + init + ";\n";
  if (arg) out += "  long idx = -1;\n";
  if (stage == Stage::kFinal) {
    out += "  if (g != 0) return;\n";
    out += "  for (long p = 0; p < parts; ++p) {\n";
    out += "    const " + real + " v = part_v[p];\n";
    if (arg) out += "    const long q = part_i[p];\n";
    out += "    " + step + "\n  }\n";
  } else if (axis == 1) {
    out += "  if (g >= rows) return;\n";
    EmitSerialLoop(kernel, ctx, step, "0", "cols", "g", "k", "k", "  ", out);
  } else if (axis == 0) {
    EmitSerialColumns(kernel, ctx, step, out);
    return;
  } else {
    out += "  if (g >= parts) return;\n";
    out += "  const long start = g * count, end = min(rows * cols, start + count);\n";
    out += "  long row = start / cols, col = start - row * cols;\n";
    out += "  for (long left = end - start; left > 0; ++row, col = 0) {\n";
    out += "    const long stop = min(cols, col + left);\n";
    EmitSerialLoop(kernel, ctx, step, "col", "stop", "row", "k", "row * cols + k", "    ", out);
    out += "    left -= stop - col;\n  }\n";
  }
  if (!arg) {
    // Merge the four accumulators: acc = (acc + acc1) + (acc2 + acc3) for a sum.
    auto merge = [&](const std::string& into, const std::string& from) {
      return std::regex_replace(std::regex_replace(step, std::regex("\\bv\\b"), from), std::regex("\\bacc\\b"),
                                into);
    };
    out += "  " + merge("acc", "acc1") + " " + merge("acc2", "acc3") + " " + merge("acc", "acc2") + "\n";
  }
  if (stage == Stage::kPartial) {
    out += "  part_v[g] = acc;\n";
    if (arg) out += "  part_i[g] = idx;\n";
    return;
  }
  out += "  const long i = " + std::string(axis == 1 ? "g" : "0") + ", j = " + (axis == 0 ? "g" : "0") + ";\n";
  out += "  const long out_cols = " + std::string(axis == 0 ? "cols" : "1") + ";\n";
  out += "  const " + real + " reduced = " + (arg ? "(" + real + ")idx" : "acc") + ";\n";
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

namespace {

// The arguments after the common ones (EmitSignature): three counts, for all axes the
// partial buffers and their count, the local scratch pointers.
size_t ReductionArgumentBytes(const FusedKernel& kernel) {
  if (!kernel.has_reduction) return 0;
  const size_t arg = IsArgReduction(kernel) ? 1 : 0;
  size_t bytes = 3 * 8 + (1 + arg) * 8;
  if (kernel.reduce_axis == kAllAxes) bytes += (1 + arg) * 8 + 8;
  return bytes;
}

}  // namespace

size_t UnpackedArgumentBytes(const FusedKernel& kernel) {
  size_t bytes = 2 * 8 + (kernel.input_dtypes.size() + 1) * (8 + 3 * 8);
  bytes += static_cast<size_t>(kernel.num_params) * 8;
  return bytes + ReductionArgumentBytes(kernel);
}

// Packed: meta, reals, one pointer per input, dst.
size_t PackedArgumentBytes(const FusedKernel& kernel) {
  return (kernel.input_dtypes.size() + 3) * 8 + ReductionArgumentBytes(kernel);
}

int MaxPackedInputs(size_t max_parameter_bytes) {
  FusedKernel widest;  // no inputs, and the reduction with the most arguments
  widest.has_reduction = true;
  widest.reduce_op = OpKind::kArgmax;
  widest.reduce_axis = kAllAxes;
  const size_t fixed = PackedArgumentBytes(widest);
  if (max_parameter_bytes < fixed) return 0;
  return static_cast<int>(std::min<size_t>((max_parameter_bytes - fixed) / 8, std::numeric_limits<int>::max()));
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
  const bool two_stage = kernel.has_reduction && kernel.reduce_axis == kAllAxes;
  if (kernel.has_reduction) {
    EmitReduction(kernel, ctx, two_stage ? Stage::kPartial : Stage::kWhole, out);
  } else {
    if (!kernel.epilogue.empty()) throw ArgumentError("FusedKernel has an epilogue but no reduction");
    EmitElementwise(kernel, ctx, out);
  }
  out += "}\n";
  if (two_stage) {
    out += "\n";
    EmitSignature(kernel, rendered, ctx.real, RenderedKernel::kFinalName, out);
    EmitReduction(kernel, ctx, Stage::kFinal, out);
    out += "}\n";
  }
  if (kernel.has_reduction) {
    out += "\n";
    EmitSignature(kernel, rendered, ctx.real, RenderedKernel::kSerialName, out);
    EmitSerialReduction(kernel, ctx, two_stage ? Stage::kPartial : Stage::kWhole, out);
    out += "}\n";
  }
  if (two_stage) {
    out += "\n";
    EmitSignature(kernel, rendered, ctx.real, RenderedKernel::kSerialFinalName, out);
    EmitSerialReduction(kernel, ctx, Stage::kFinal, out);
    out += "}\n";
  }
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
