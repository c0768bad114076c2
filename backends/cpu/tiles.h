// Tile-by-tile evaluation of fused-kernel programs on host memory, shared by
// fused.cc (elementwise launches) and reduce.cc: launch preparation, register
// tiles kept in L1, per-dtype vector ops, and the loop over fixed tasks.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "backends/cpu/host_access.h"
#include "backends/cpu/simd_kernels.h"
#include "core/kernel.h"
#include "core/scalar_ops.h"

namespace neon::cpu {

constexpr int64_t kTileBytes = 16 << 10;    // all register tiles of a program together (L1)
constexpr int64_t kMinTile = 256, kMaxTile = 8192;  // elements per register tile
constexpr int64_t kParallelMin = 1 << 15;   // smaller launches stay on the calling thread
constexpr int64_t kChunkElements = 1 << 20; // elements of consecutive tasks handed to a thread at a time

inline int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

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
  // Working space of Prepare, kept for the next launch.
  std::vector<char> uniform;
  std::vector<int> last_use, free_buffers;
};

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

// Whether v replaces best in a max (min) reduction: larger (smaller), or NaN over a number.
inline bool Beats(bool is_max, double v, double best) {
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

// This thread's tile buffers (at least `elements`).
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
// Prepares `instrs` for one launch with `args` (uniform values, fusion, buffers)
// into `p`, reusing its memory.
template <typename T>
void Prepare(const std::vector<Instr>& instrs, const KernelArgs& args, Program<T>& p);

template <typename T>
const T* EvalBlock(const Program<T>& p, const Space<T>& s, const Block& b, T* scratch, T* direct_out);

template <typename T, typename Fn>
void ParallelFor(int64_t count, int threads, bool big, const Program<T>& p, Fn fn, int64_t chunk = 1) {
  const size_t scratch_size = static_cast<size_t>(std::max(p.num_buffers, 1) * p.tile);
  if (threads <= 1 || count <= 1 || !big) {
    T* scratch = Scratch<T>(scratch_size);
    for (int64_t t = 0; t < count; ++t) fn(t, scratch);
    return;
  }
  // At least four runs per thread, so mid-sized launches still use every thread.
  chunk = std::clamp<int64_t>(chunk, 1, std::max<int64_t>(1, count / (4 * int64_t{threads})));
#pragma omp parallel num_threads(static_cast<int>(std::min<int64_t>(threads, count)))
  {
    T* scratch = Scratch<T>(scratch_size);
    // Tasks write disjoint results: any assignment to threads gives the same bits.
    // Runs of `chunk` consecutive tasks keep each thread's memory streams long.
#pragma omp for schedule(dynamic, chunk)
    for (int64_t t = 0; t < count; ++t) fn(t, scratch);
  }
}

// Evaluates a program over the whole space into `out`.
template <typename T>
void RunElementwise(const Program<T>& p, const Space<T>& s, const TensorRef& out, int threads);

}  // namespace neon::cpu
