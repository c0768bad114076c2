#include "backends/cpu/fused.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "backends/cpu/host_access.h"
#include "backends/cpu/random.h"
#include "backends/cpu/simd_kernels.h"
#include "graph/error.h"
#include "graph/scalar_ops.h"

namespace neon::cpu {

namespace {

constexpr int64_t kTileBytes = 16 << 10;    // all register tiles of a program together (L1)
constexpr int64_t kMinTile = 256, kMaxTile = 8192;  // elements per register tile
constexpr int64_t kParallelMin = 1 << 15;   // smaller launches stay on the calling thread
constexpr int64_t kNoIndex = std::numeric_limits<int64_t>::max();
constexpr int kStagedRows = 16;             // float32 column sums flushed to float64 this often

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

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

// ---------------------------------------------------------------- programs

// An instruction list prepared for one launch: each register is either one
// value for the whole launch (scalars, fully broadcast tensors and ops on them)
// or a tile buffer, reused once its last reader has run.
// An instruction list prepared for one launch: each register is either one
// value for the whole launch (scalars, fully broadcast tensors and ops on them)
// or a tile buffer, reused once its last reader has run. Recognised subtrees
// become single vectorised ops (1 / (1 + exp(-x)) -> sig) and instructions
// nothing reads are skipped.
template <typename T>
struct Program {
  std::vector<Instr> code;
  std::vector<char> skip;    // per register: not evaluated per tile
  std::vector<int> buffer;   // per register: tile buffer, -1 when uniform
  std::vector<T> value;      // per register: the value when uniform
  int num_buffers = 0;
  int result_fill = -1;      // buffer the uniform result is broadcast into
  int64_t tile = kMinTile;   // elements per register tile: the buffers fill kTileBytes
};

template <typename T>
T LoadOne(const TensorRef& ref) {
  switch (ref.dtype) {
    case DType::kFloat32: return static_cast<T>(*HostPointer<float>(ref));
    case DType::kFloat64: return static_cast<T>(*HostPointer<double>(ref));
    case DType::kInt32: return static_cast<T>(*HostPointer<int32_t>(ref));
  }
  return T(0);
}

// Rewrites div(1, add(1, exp(neg(x)))) (either add order) as sig(x): one pass
// over the tile instead of four. The spec's sig is that very formula.
void FuseSigmoid(std::vector<Instr>& code, const std::vector<char>& uniform, const auto& value) {
  const auto is_one = [&](int32_t r) { return uniform[r] && value[r] == 1; };
  for (Instr& in : code) {
    if (in.op != OpKind::kDiv || !is_one(in.a) || uniform[in.b]) continue;
    const Instr& add = code[in.b];
    if (add.op != OpKind::kAdd || !(is_one(add.a) || is_one(add.b))) continue;
    const Instr& exp = code[is_one(add.a) ? add.b : add.a];
    if (exp.op != OpKind::kExp) continue;
    const Instr& neg = code[exp.a];
    if (neg.op != OpKind::kNeg) continue;
    in = Instr{OpKind::kSig, neg.a};
  }
}

template <typename T>
Program<T> Prepare(const std::vector<Instr>& instrs, const KernelArgs& args) {
  const int n = static_cast<int>(instrs.size());
  Program<T> p;
  p.code = instrs;
  p.skip.assign(n, 0);
  p.buffer.assign(n, -1);
  p.value.assign(n, T(0));
  std::vector<char> uniform(n, 0);
  for (int k = 0; k < n; ++k) {
    const Instr& in = instrs[k];
    const OpClass c = ClassOf(in.op);
    if (in.op == OpKind::kScalar) {
      uniform[k] = 1;
      p.value[k] = static_cast<T>(args.params[in.slot]);
    } else if (in.op == OpKind::kTensor && args.inputs[in.slot].row_stride == 0 &&
               args.inputs[in.slot].col_stride == 0) {
      uniform[k] = 1;
      p.value[k] = LoadOne<T>(args.inputs[in.slot]);
    } else if (c == OpClass::kUnary && uniform[in.a]) {
      uniform[k] = 1;
      p.value[k] = static_cast<T>(ApplyUnary(in.op, p.value[in.a]));
    } else if (c == OpClass::kBinary && uniform[in.a] && uniform[in.b]) {
      uniform[k] = 1;
      p.value[k] = static_cast<T>(ApplyBinary(in.op, p.value[in.a], p.value[in.b]));
    }
  }
  FuseSigmoid(p.code, uniform, p.value);
  // Liveness, last instruction first: what nothing reads is skipped.
  std::vector<int> last_use(n, -1);
  last_use[n - 1] = n;
  for (int k = n - 1; k >= 0; --k) {
    if (last_use[k] < 0) p.skip[k] = 1;
    if (p.skip[k] || uniform[k]) continue;
    const Instr& in = p.code[k];
    const OpClass c = ClassOf(in.op);
    if ((c == OpClass::kUnary || c == OpClass::kBinary) && last_use[in.a] < 0) last_use[in.a] = k;
    if (c == OpClass::kBinary && last_use[in.b] < 0) last_use[in.b] = k;
  }
  std::vector<int> free_buffers;
  for (int k = 0; k < n; ++k) {
    if (p.skip[k] || uniform[k]) continue;
    const Instr& in = p.code[k];
    const OpClass c = ClassOf(in.op);
    // Operands read for the last time here give their buffers up first, so
    // the result may overwrite one of them (ops read element k before writing it).
    if (c == OpClass::kUnary || c == OpClass::kBinary) {
      if (!uniform[in.a] && last_use[in.a] == k) free_buffers.push_back(p.buffer[in.a]);
      if (c == OpClass::kBinary && in.b != in.a && !uniform[in.b] && last_use[in.b] == k)
        free_buffers.push_back(p.buffer[in.b]);
    }
    if (free_buffers.empty()) {
      p.buffer[k] = p.num_buffers++;
    } else {
      p.buffer[k] = free_buffers.back();
      free_buffers.pop_back();
    }
  }
  if (uniform[n - 1]) p.result_fill = p.num_buffers++;
  const int64_t fit = kTileBytes / (std::max(p.num_buffers, 1) * static_cast<int64_t>(sizeof(T)));
  p.tile = std::clamp<int64_t>(fit / 64 * 64, kMinTile, kMaxTile);
  return p;
}

// The iteration space a program runs over (body: rows x cols; epilogue: the output shape).
template <typename T>
struct Space {
  int64_t rows = 0, cols = 0;
  const KernelArgs* args = nullptr;
  const T* reduced = nullptr;  // epilogue: reduced values, row-major rows x cols
};

// A sub-block of the space, evaluated as one tile of nr * nc <= Program::tile elements.
struct Block {
  int64_t i0, nr, j0, nc;
};

template <typename S, typename T>
void LoadTyped(const TensorRef& ref, const Block& b, T* dst) {
  const S* base = HostPointer<S>(ref);
  const int64_t rs = ref.row_stride, cs = ref.col_stride;
  if constexpr (std::is_same_v<S, T>) {
    if (cs == 1 && (b.nr == 1 || rs == b.nc)) {
      std::memcpy(dst, base + b.i0 * rs + b.j0, sizeof(T) * b.nr * b.nc);
      return;
    }
  }
  for (int64_t r = 0; r < b.nr; ++r) {
    const S* src = base + (b.i0 + r) * rs + b.j0 * cs;
    T* d = dst + r * b.nc;
    if (cs == 1) {
      for (int64_t c = 0; c < b.nc; ++c) d[c] = static_cast<T>(src[c]);
    } else if (cs == 0) {
      std::fill(d, d + b.nc, static_cast<T>(src[0]));
    } else {
      for (int64_t c = 0; c < b.nc; ++c) d[c] = static_cast<T>(src[c * cs]);  // strided gather
    }
  }
}

template <typename T>
void LoadTile(const TensorRef& ref, const Block& b, T* dst) {
  switch (ref.dtype) {
    case DType::kFloat32: return LoadTyped<float>(ref, b, dst);
    case DType::kFloat64: return LoadTyped<double>(ref, b, dst);
    case DType::kInt32: return LoadTyped<int32_t>(ref, b, dst);
  }
}

template <typename D, typename T>
void StoreTyped(const TensorRef& ref, const Block& b, const T* src) {
  D* base = HostPointer<D>(ref);
  const int64_t rs = ref.row_stride, cs = ref.col_stride;
  if constexpr (std::is_same_v<D, T>) {
    if (cs == 1 && (b.nr == 1 || rs == b.nc)) {
      std::memcpy(base + b.i0 * rs + b.j0, src, sizeof(T) * b.nr * b.nc);
      return;
    }
  }
  for (int64_t r = 0; r < b.nr; ++r) {
    D* d = base + (b.i0 + r) * rs + b.j0 * cs;
    const T* s = src + r * b.nc;
    for (int64_t c = 0; c < b.nc; ++c) {
      if constexpr (std::is_same_v<D, int32_t>) {
        d[c * cs] = ToInt32(static_cast<double>(s[c]));
      } else {
        d[c * cs] = static_cast<D>(s[c]);
      }
    }
  }
}

template <typename T>
void StoreTile(const TensorRef& ref, const Block& b, const T* src) {
  switch (ref.dtype) {
    case DType::kFloat32: return StoreTyped<float>(ref, b, src);
    case DType::kFloat64: return StoreTyped<double>(ref, b, src);
    case DType::kInt32: return StoreTyped<int32_t>(ref, b, src);
  }
}

// ---------------------------------------------------------------- per-dtype tile ops

template <typename T>
struct Ops;

// float32: the Highway kernels.
template <>
struct Ops<float> {
  static void Unary(OpKind op, const float* s, float* d, size_t n) { SimdUnary(op, s, d, n); }
  static void Binary(OpKind op, const float* a, const float* b, float* d, size_t n, Broadcast bc) {
    SimdBinary(op, a, b, d, n, bc);
  }
  static double Sum(const float* s, size_t n) { return SimdSum(s, n); }
  static float Extreme(bool is_max, const float* s, size_t n) { return is_max ? SimdMax(s, n) : SimdMin(s, n); }
  static size_t ArgExtreme(bool is_max, const float* s, size_t n) { return SimdArgExtreme(is_max, s, n); }
  static void AccumulateSum(const float* s, double* acc, size_t n) { SimdAccumulateSum(s, acc, n); }
  static void AccumulateExtreme(bool is_max, const float* s, float* acc, size_t n) {
    SimdAccumulateExtreme(is_max, s, acc, n);
  }
  static void AccumulateArg(bool is_max, const float* s, int32_t row, float* best, int32_t* index, size_t n) {
    SimdAccumulateArg(is_max, s, row, best, index, n);
  }
};

bool Beats(bool is_max, double v, double best) {
  return (is_max ? v > best : v < best) || (std::isnan(v) && !std::isnan(best));
}

// float64: the spec's functions, one value at a time.
template <>
struct Ops<double> {
  static void Unary(OpKind op, const double* s, double* d, size_t n) {
    for (size_t k = 0; k < n; ++k) d[k] = ApplyUnary(op, s[k]);
  }
  static void Binary(OpKind op, const double* a, const double* b, double* d, size_t n, Broadcast bc) {
    switch (bc) {
      case Broadcast::kNone: for (size_t k = 0; k < n; ++k) d[k] = ApplyBinary(op, a[k], b[k]); break;
      case Broadcast::kA: for (size_t k = 0; k < n; ++k) d[k] = ApplyBinary(op, a[0], b[k]); break;
      case Broadcast::kB: for (size_t k = 0; k < n; ++k) d[k] = ApplyBinary(op, a[k], b[0]); break;
    }
  }
  static double Sum(const double* s, size_t n) {
    double total = 0;
    for (size_t k = 0; k < n; ++k) total += s[k];
    return total;
  }
  static double Extreme(bool is_max, const double* s, size_t n) {
    double best = is_max ? -INFINITY : INFINITY;
    for (size_t k = 0; k < n; ++k) if (Beats(is_max, s[k], best)) best = s[k];
    return best;
  }
  static size_t ArgExtreme(bool is_max, const double* s, size_t n) {
    size_t at = 0;
    for (size_t k = 1; k < n; ++k) if (Beats(is_max, s[k], s[at])) at = k;
    return at;
  }
  static void AccumulateSum(const double* s, double* acc, size_t n) {
    for (size_t k = 0; k < n; ++k) acc[k] += s[k];
  }
  static void AccumulateExtreme(bool is_max, const double* s, double* acc, size_t n) {
    for (size_t k = 0; k < n; ++k) if (Beats(is_max, s[k], acc[k])) acc[k] = s[k];
  }
  static void AccumulateArg(bool is_max, const double* s, int32_t row, double* best, int32_t* index, size_t n) {
    for (size_t k = 0; k < n; ++k) {
      if (Beats(is_max, s[k], best[k])) {
        best[k] = s[k];
        index[k] = row;
      }
    }
  }
};

// ---------------------------------------------------------------- evaluation

template <typename T>
T* Scratch(size_t elements) {
  thread_local std::vector<T> scratch;
  if (scratch.size() < elements) scratch.assign(elements, T(0));
  return scratch.data();
}

// Where a block of `ref` lies in memory when it is one contiguous run of T, else null.
template <typename T>
T* ContiguousRun(const TensorRef& ref, const Block& b) {
  if (ref.dtype != DTypeOf<T>() || ref.col_stride != 1 || (b.nr > 1 && ref.row_stride != b.nc)) return nullptr;
  return HostPointer<T>(ref) + b.i0 * ref.row_stride + b.j0;
}

// Evaluates the program over one block; returns the result tile (row-major nr x nc).
// Contiguous inputs are read in place; when `direct_out` is given, the last
// instruction writes there and the result is direct_out itself.
template <typename T>
const T* EvalBlock(const Program<T>& p, const Space<T>& s, const Block& b, T* scratch, T* direct_out) {
  const std::vector<Instr>& instrs = p.code;
  const size_t n = static_cast<size_t>(b.nr * b.nc);
  thread_local std::vector<const T*> reg;
  reg.resize(instrs.size());
  for (size_t k = 0; k < instrs.size(); ++k) {
    const Instr& in = instrs[k];
    if (p.skip[k] || p.buffer[k] < 0) {
      reg[k] = &p.value[k];
      continue;
    }
    T* dst = scratch + p.buffer[k] * p.tile;
    reg[k] = dst;
    switch (in.op) {
      case OpKind::kTensor:
        if (const T* run = ContiguousRun<T>(s.args->inputs[in.slot], b)) {
          reg[k] = run;
        } else {
          LoadTile(s.args->inputs[in.slot], b, dst);
        }
        break;
      case OpKind::kRowIndex:
        for (int64_t r = 0; r < b.nr; ++r) std::fill(dst + r * b.nc, dst + (r + 1) * b.nc, static_cast<T>(b.i0 + r));
        break;
      case OpKind::kColIndex:
        for (int64_t r = 0; r < b.nr; ++r)
          for (int64_t c = 0; c < b.nc; ++c) dst[r * b.nc + c] = static_cast<T>(b.j0 + c);
        break;
      case OpKind::kRand: {
        const std::vector<double>& params = s.args->params;
        const uint64_t seed = static_cast<uint64_t>(params[in.slot]) | static_cast<uint64_t>(params[in.slot + 1]) << 32;
        const uint64_t offset = static_cast<uint64_t>(params[in.slot + 2]);
        for (int64_t r = 0; r < b.nr; ++r) {
          UniformRun(seed, offset + static_cast<uint64_t>((b.i0 + r) * s.cols + b.j0), b.nc, dst + r * b.nc);
        }
        break;
      }
      case OpKind::kReduced:
        for (int64_t r = 0; r < b.nr; ++r)
          std::copy_n(s.reduced + (b.i0 + r) * s.cols + b.j0, b.nc, dst + r * b.nc);
        break;
      default: {
        if (direct_out != nullptr && k + 1 == instrs.size()) {
          dst = direct_out;
          reg[k] = dst;
        }
        if (ClassOf(in.op) == OpClass::kUnary) {
          Ops<T>::Unary(in.op, reg[in.a], dst, n);
        } else {
          const Broadcast bc = p.buffer[in.a] < 0 ? Broadcast::kA : p.buffer[in.b] < 0 ? Broadcast::kB : Broadcast::kNone;
          Ops<T>::Binary(in.op, reg[in.a], reg[in.b], dst, n, bc);
        }
      }
    }
  }
  if (p.result_fill >= 0) {
    T* dst = scratch + p.result_fill * p.tile;
    std::fill(dst, dst + n, p.value.back());
    return dst;
  }
  return reg.back();
}

// Runs fn(task, scratch) for task in [0, count), on up to `threads` threads when `big`.
template <typename T, typename Fn>
void ParallelFor(int64_t count, int threads, bool big, const Program<T>& p, Fn fn) {
  const size_t scratch_size = static_cast<size_t>(std::max(p.num_buffers, 1) * p.tile);
  if (threads <= 1 || count <= 1 || !big) {
    T* scratch = Scratch<T>(scratch_size);
    for (int64_t t = 0; t < count; ++t) fn(t, scratch);
    return;
  }
#pragma omp parallel num_threads(static_cast<int>(std::min<int64_t>(threads, count)))
  {
    T* scratch = Scratch<T>(scratch_size);
#pragma omp for schedule(dynamic)  // tasks write disjoint results: any assignment gives the same bits
    for (int64_t t = 0; t < count; ++t) fn(t, scratch);
  }
}

// Evaluates a program over the whole space into `out`.
template <typename T>
void RunElementwise(const Program<T>& p, const Space<T>& s, const TensorRef& out, int threads) {
  if (s.rows == 0 || s.cols == 0) return;
  const int64_t nc = std::min(s.cols, p.tile);
  const int64_t nr = std::min(s.rows, std::max<int64_t>(1, p.tile / nc));
  const int64_t col_blocks = CeilDiv(s.cols, nc);
  const int64_t count = CeilDiv(s.rows, nr) * col_blocks;
  ParallelFor(count, threads, s.rows * s.cols >= kParallelMin, p, [&](int64_t t, T* scratch) {
    Block b{(t / col_blocks) * nr, 0, (t % col_blocks) * nc, 0};
    b.nr = std::min(nr, s.rows - b.i0);
    b.nc = std::min(nc, s.cols - b.j0);
    T* direct = ContiguousRun<T>(out, b);
    const T* result = EvalBlock(p, s, b, scratch, direct);
    if (result != direct) StoreTile(out, b, result);
  });
}

// ---------------------------------------------------------------- reductions

// Partial results of one reduction, one slot per (task row or column, output element).
template <typename T>
struct Partials {
  std::vector<double> sum;
  std::vector<T> value;
  std::vector<int64_t> index;

  // Only what `op` needs: sums, or values (and indices for argmax / argmin).
  Partials(size_t slots, OpKind op, bool is_max) {
    if (op == OpKind::kSum) {
      sum.assign(slots, 0.0);
      return;
    }
    value.assign(slots, is_max ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity());
    if (op == OpKind::kArgmax || op == OpKind::kArgmin) index.assign(slots, kNoIndex);
  }
};

// Whether candidate (v, i) replaces (best, at) in an arg reduction: larger (smaller)
// value, NaN over numbers, and the first index among equals, whatever the order of visits.
template <typename T>
bool ArgBeats(bool is_max, T v, int64_t i, T best, int64_t at) {
  if (std::isnan(v)) return !std::isnan(best) || i < at;
  if (std::isnan(best)) return false;
  if (v == best) return i < at;
  return is_max ? v > best : v < best;
}

template <typename T>
struct Reduction {
  OpKind op;
  bool is_max;
  bool is_arg;

  // Folds (sum, value, index) of slot `from` of `src` into slot `to` of `dst`.
  void Combine(const Partials<T>& src, size_t from, Partials<T>& dst, size_t to) const {
    if (op == OpKind::kSum) {
      dst.sum[to] += src.sum[from];
    } else if (is_arg) {
      if (ArgBeats(is_max, src.value[from], src.index[from], dst.value[to], dst.index[to])) {
        dst.value[to] = src.value[from];
        dst.index[to] = src.index[from];
      }
    } else if (Beats(is_max, src.value[from], dst.value[to])) {
      dst.value[to] = src.value[from];
    }
  }

  // Folds a contiguous run of n values whose first has linear index `first` (step 1) into slot.
  void FoldRun(const T* v, size_t n, int64_t first, Partials<T>& dst, size_t slot) const {
    if (op == OpKind::kSum) {
      dst.sum[slot] += Ops<T>::Sum(v, n);
    } else if (is_arg) {
      const size_t k = Ops<T>::ArgExtreme(is_max, v, n);
      if (ArgBeats(is_max, v[k], first + static_cast<int64_t>(k), dst.value[slot], dst.index[slot])) {
        dst.value[slot] = v[k];
        dst.index[slot] = first + static_cast<int64_t>(k);
      }
    } else {
      const T e = Ops<T>::Extreme(is_max, v, n);
      if (Beats(is_max, e, dst.value[slot])) dst.value[slot] = e;
    }
  }

  T Result(const Partials<T>& p, size_t slot) const {
    if (op == OpKind::kSum) return static_cast<T>(p.sum[slot]);
    if (is_arg) return static_cast<T>(p.index[slot] == kNoIndex ? 0 : p.index[slot]);
    return p.value[slot];
  }
};

// The staged column sums start on a cache line with the rows' alignment within
// it (vector stores never split across lines) and 2 KiB (mod 4 KiB) away from
// the rows they add, so the CPU never mistakes a store to them for a load of
// the next row (4K aliasing).
constexpr int64_t kStageSlack = 1024 + 16;  // floats
template <typename T>
float* PlaceStage(std::vector<T>& stage, const T* row) {
  const auto addr = [](const void* p) { return reinterpret_cast<uintptr_t>(p); };
  const uintptr_t base = addr(stage.data());
  const uintptr_t gap = (addr(row) + 2048 - base) % 4096;
  return reinterpret_cast<float*>(base + gap);
}

// Tiles of a task block: the tile shape inside a bh x bw block.
struct TileShape {
  int64_t nr, nc;
};
TileShape TilesOf(int64_t bh, int64_t bw, int64_t max_cols, int64_t tile) {
  const int64_t nc = std::min(bw, max_cols);
  return {std::min(bh, std::max<int64_t>(1, tile / nc)), nc};
}

// Reduces the body over rows x cols into `reduced` (the output shape, row-major).
// The task grid depends on the shape only, so results do not depend on threads.
template <typename T>
void Reduce(const Program<T>& p, const Space<T>& s, const Reduction<T>& red, int axis, int threads,
            std::vector<T>& reduced) {
  const int64_t rows = s.rows, cols = s.cols;
  int64_t bw, bh;
  if (axis == 0) {
    // Tasks span whole rows (up to 16384 columns) so each streams memory in order;
    // the column accumulators (float64) stay in L1/L2.
    bw = std::min<int64_t>(cols, int64_t{1} << 14);
    bh = std::clamp<int64_t>(CeilDiv(int64_t{1} << 20, std::max<int64_t>(bw, 1)), 1, std::max<int64_t>(rows, 1));
  } else {
    bw = std::min<int64_t>(cols, int64_t{1} << 16);
    const int64_t target = axis == 1 ? (int64_t{1} << 14) : (int64_t{1} << 16);
    bh = std::clamp<int64_t>(CeilDiv(target, std::max<int64_t>(bw, 1)), 1, std::max<int64_t>(rows, 1));
  }
  const int64_t row_blocks = rows == 0 ? 0 : CeilDiv(rows, bh);
  const int64_t col_blocks = cols == 0 ? 0 : CeilDiv(cols, bw);
  const int64_t count = row_blocks * col_blocks;
  // Slots: axis 1 -> (col block, row); axis 0 -> (row block, col); all -> task.
  const size_t slots = axis == 1 ? col_blocks * rows : axis == 0 ? row_blocks * cols : count;
  Partials<T> partials(slots, red.op, red.is_max);

  // A body that is one tensor with unit column stride is reduced straight from memory.
  const TensorRef* direct = nullptr;
  if (p.code.size() == 1 && p.code[0].op == OpKind::kTensor && p.buffer[0] >= 0) {
    const TensorRef& ref = s.args->inputs[p.code[0].slot];
    if (ref.dtype == DTypeOf<T>() && ref.col_stride == 1) direct = &ref;
  }
  ParallelFor(count, threads, rows * cols >= kParallelMin, p, [&](int64_t t, T* scratch) {
    const int64_t bi = t / col_blocks, bj = t % col_blocks;
    const int64_t i0 = bi * bh, j0 = bj * bw;
    const int64_t h = std::min(bh, rows - i0), w = std::min(bw, cols - j0);
    // Axis 0 takes tiles of several rows, so column accumulators are updated once per rows.
    // Read in place, whole rows of the task (no tile buffer to fit).
    const TileShape ts = direct != nullptr ? TileShape{std::min<int64_t>(h, 4), w}
                                           : TilesOf(h, w, axis == 0 ? std::max<int64_t>(64, p.tile / 4) : p.tile, p.tile);
    std::vector<int32_t> arg_rows;  // axis 0 argmax/argmin: row of each column's best
    if (axis == 0 && red.is_arg) arg_rows.assign(w, std::numeric_limits<int32_t>::max());
    std::vector<T> stage;         // axis 0 float32 sum: column sums of the last rows
    std::vector<int> staged;      // rows in `stage`, per tile column
    float* stage_at = nullptr;    // where the staged sums start inside `stage`
    if (axis == 0 && red.op == OpKind::kSum && std::is_same_v<T, float>) {
      stage.assign(w + kStageSlack, T(0));
      staged.assign(CeilDiv(w, ts.nc), 0);
    }
    for (int64_t ti = 0; ti < h; ti += ts.nr) {
      for (int64_t tj = 0; tj < w; tj += ts.nc) {
        const Block b{i0 + ti, std::min(ts.nr, h - ti), j0 + tj, std::min(ts.nc, w - tj)};
        // The tile: rows ld apart, read in place when the body is one contiguous tensor.
        const T* tile;
        int64_t ld = b.nc;
        if (direct != nullptr) {
          ld = direct->row_stride;
          tile = HostPointer<T>(*direct) + b.i0 * ld + b.j0;
        } else {
          tile = EvalBlock(p, s, b, scratch, static_cast<T*>(nullptr));
        }
        if (axis == 1) {
          for (int64_t r = 0; r < b.nr; ++r)
            red.FoldRun(tile + r * ld, b.nc, b.j0, partials, bj * rows + b.i0 + r);
        } else if (axis == 0 && red.op == OpKind::kSum && std::is_same_v<T, float>) {
          // float32 sums of up to kStagedRows rows, four rows per pass, then into the
          // float64 partials: little accumulator traffic, float64 accuracy over long columns.
          if (stage_at == nullptr) stage_at = PlaceStage(stage, tile);
          float* st = stage_at + tj;
          int& count = staged[tj / ts.nc];
          for (int64_t r = 0; r < b.nr; r += 4) {
            const int64_t k = std::min<int64_t>(4, b.nr - r);
            SimdAccumulateRowsF32(reinterpret_cast<const float*>(tile + r * ld), ld, k, st, b.nc);
            count += static_cast<int>(k);
            if (count >= kStagedRows) {
              SimdAccumulateSum(st, &partials.sum[bi * cols + b.j0], b.nc);
              std::fill(st, st + b.nc, 0.0f);
              count = 0;
            }
          }
        } else if (axis == 0) {
          const size_t at = bi * cols + b.j0;
          for (int64_t r = 0; r < b.nr; ++r) {
            const T* run = tile + r * ld;
            if (red.op == OpKind::kSum) {
              Ops<T>::AccumulateSum(run, &partials.sum[at], b.nc);
            } else if (red.is_arg) {
              Ops<T>::AccumulateArg(red.is_max, run, static_cast<int32_t>(b.i0 + r), &partials.value[at],
                                    &arg_rows[tj], b.nc);
            } else {
              Ops<T>::AccumulateExtreme(red.is_max, run, &partials.value[at], b.nc);
            }
          }
        } else if ((b.nc == cols && ld == b.nc) || b.nr == 1) {  // one run of linear indices
          red.FoldRun(tile, b.nr * b.nc, b.i0 * cols + b.j0, partials, t);
        } else {
          for (int64_t r = 0; r < b.nr; ++r)
            red.FoldRun(tile + r * ld, b.nc, (b.i0 + r) * cols + b.j0, partials, t);
        }
      }
    }
    for (size_t c = 0; c < staged.size(); ++c) {
      const int64_t tj = static_cast<int64_t>(c) * ts.nc, nc = std::min(ts.nc, w - tj);
      if (staged[c] > 0) SimdAccumulateSum(stage_at + tj, &partials.sum[bi * cols + j0 + tj], nc);
    }
    for (size_t c = 0; c < arg_rows.size(); ++c) {
      if (arg_rows[c] != std::numeric_limits<int32_t>::max()) partials.index[bi * cols + j0 + c] = arg_rows[c];
    }
  });

  // Combine partials in a fixed order.
  const size_t outputs = axis == 1 ? rows : axis == 0 ? cols : 1;
  Partials<T> total(outputs, red.op, red.is_max);
  if (axis == 1) {
    for (int64_t bj = 0; bj < col_blocks; ++bj)
      for (int64_t i = 0; i < rows; ++i) red.Combine(partials, bj * rows + i, total, i);
  } else if (axis == 0 && red.op == OpKind::kSum) {
    for (int64_t bi = 0; bi < row_blocks; ++bi) {
      const double* part = &partials.sum[bi * cols];
      for (int64_t j = 0; j < cols; ++j) total.sum[j] += part[j];
    }
  } else if (axis == 0) {
    for (int64_t bi = 0; bi < row_blocks; ++bi)
      for (int64_t j = 0; j < cols; ++j) red.Combine(partials, bi * cols + j, total, j);
  } else {
    for (int64_t t = 0; t < count; ++t) red.Combine(partials, t, total, 0);
  }
  reduced.resize(outputs);
  for (size_t o = 0; o < outputs; ++o) reduced[o] = red.Result(total, o);
}

template <typename T>
void RunTyped(const FusedKernel& kernel, const KernelArgs& args, int threads) {
  const Program<T> body = Prepare<T>(kernel.body, args);
  Space<T> space{args.rows, args.cols, &args, nullptr};
  if (!kernel.has_reduction) {
    RunElementwise(body, space, args.output, threads);
    return;
  }
  const bool is_arg = kernel.reduce_op == OpKind::kArgmax || kernel.reduce_op == OpKind::kArgmin;
  const Reduction<T> red{kernel.reduce_op, kernel.reduce_op == OpKind::kMax || kernel.reduce_op == OpKind::kArgmax,
                         is_arg};
  std::vector<T> reduced;
  Reduce(body, space, red, kernel.reduce_axis, threads, reduced);

  static const std::vector<Instr> kIdentity = {{OpKind::kReduced}};
  const std::vector<Instr>& epilogue = kernel.epilogue.empty() ? kIdentity : kernel.epilogue;
  const Program<T> post = Prepare<T>(epilogue, args);
  Space<T> out_space{kernel.reduce_axis == 1 ? args.rows : 1, kernel.reduce_axis == 0 ? args.cols : 1, &args,
                     reduced.data()};
  RunElementwise(post, out_space, args.output, threads);
}

void CheckViews(const FusedKernel& kernel, const KernelArgs& args) {
  const int64_t out_rows = !kernel.has_reduction || kernel.reduce_axis == 1 ? args.rows : 1;
  const int64_t out_cols = !kernel.has_reduction || kernel.reduce_axis == 0 ? args.cols : 1;
  for (const Instr& in : kernel.body)
    if (in.op == OpKind::kTensor) CheckView(args.inputs[in.slot], args.rows, args.cols, "fused kernel input " + std::to_string(in.slot));
  if (kernel.has_reduction) {
    for (const Instr& in : kernel.epilogue)
      if (in.op == OpKind::kTensor) CheckView(args.inputs[in.slot], out_rows, out_cols, "fused kernel epilogue input " + std::to_string(in.slot));
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
