#include "backends/cpu/tiles.h"

#include <cstring>
#include <type_traits>

#include "backends/cpu/random.h"

namespace neon::cpu {

namespace {

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

}  // namespace

template <typename T>
void Prepare(const std::vector<Instr>& instrs, const KernelArgs& args, Program<T>& p) {
  const int n = static_cast<int>(instrs.size());
  p.code = instrs;
  p.skip.assign(n, 0);
  p.buffer.assign(n, -1);
  p.value.assign(n, T(0));
  p.num_buffers = 0;
  p.result_fill = -1;
  std::vector<char>& uniform = p.uniform;
  uniform.assign(n, 0);
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
  std::vector<int>& last_use = p.last_use;
  last_use.assign(n, -1);
  last_use[n - 1] = n;
  for (int k = n - 1; k >= 0; --k) {
    if (last_use[k] < 0) p.skip[k] = 1;
    if (p.skip[k] || uniform[k]) continue;
    const Instr& in = p.code[k];
    const OpClass c = ClassOf(in.op);
    if ((c == OpClass::kUnary || c == OpClass::kBinary) && last_use[in.a] < 0) last_use[in.a] = k;
    if (c == OpClass::kBinary && last_use[in.b] < 0) last_use[in.b] = k;
  }
  std::vector<int>& free_buffers = p.free_buffers;
  free_buffers.clear();
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
}


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
  }, std::max<int64_t>(1, kChunkElements / (nr * nc)));
}

template void Prepare<float>(const std::vector<Instr>&, const KernelArgs&, Program<float>&);
template void Prepare<double>(const std::vector<Instr>&, const KernelArgs&, Program<double>&);
template const float* EvalBlock<float>(const Program<float>&, const Space<float>&, const Block&, float*, float*);
template const double* EvalBlock<double>(const Program<double>&, const Space<double>&, const Block&, double*, double*);
template void RunElementwise<float>(const Program<float>&, const Space<float>&, const TensorRef&, int);
template void RunElementwise<double>(const Program<double>&, const Space<double>&, const TensorRef&, int);

}  // namespace neon::cpu
