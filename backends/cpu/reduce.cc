#include "backends/cpu/reduce.h"

#include <limits>

namespace neon::cpu {

namespace {

constexpr int64_t kNoIndex = std::numeric_limits<int64_t>::max();
constexpr int kStagedRows = 16;  // float32 column sums flushed to float64 this often
constexpr int64_t kRowsPerPass = 8;  // rows added to the staged column sums per pass

// Partial results of one reduction, one slot per (task row or column, output element).
template <typename T>
struct Partials {
  std::vector<double> sum;
  std::vector<T> value;
  std::vector<int64_t> index;

  // Sized and initialised for `slots` results of `op`: sums, or values (and
  // indices for argmax / argmin). Reuses the memory of earlier launches.
  void Reset(size_t slots, OpKind op, bool is_max) {
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

}  // namespace

// The task grid depends on the shape only, so results do not depend on threads.
template <typename T>
void Reduce(const Program<T>& p, const Space<T>& s, OpKind op, int axis, int threads, std::vector<T>& reduced) {
  const bool is_arg = op == OpKind::kArgmax || op == OpKind::kArgmin;
  const Reduction<T> red{op, op == OpKind::kMax || op == OpKind::kArgmax, is_arg};
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
  // The partials of the calling thread's last launch, reused: no page faults per
  // launch. (A reference: inside the task lambda the name of a thread_local would
  // mean each worker's own.)
  thread_local Partials<T> cache;
  Partials<T>& partials = cache;
  partials.Reset(slots, red.op, red.is_max);

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
    // Read in place: kRowsPerPass whole rows of the task at a time (no tile buffer to fit).
    // Evaluated: axis 0 takes tiles of several rows, so column accumulators see each tile once.
    const TileShape ts = direct != nullptr ? TileShape{std::min<int64_t>(h, kRowsPerPass), w}
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
          // float32 sums of up to kStagedRows rows, kRowsPerPass per pass, then into the
          // float64 partials: little accumulator traffic, float64 accuracy over long columns.
          if (stage_at == nullptr) stage_at = PlaceStage(stage, tile);
          float* st = stage_at + tj;
          int& rows_staged = staged[tj / ts.nc];
          for (int64_t r = 0; r < b.nr; r += kRowsPerPass) {
            const int64_t k = std::min<int64_t>(kRowsPerPass, b.nr - r);
            SimdAccumulateRowsF32(reinterpret_cast<const float*>(tile + r * ld), ld, k, st, b.nc);
            rows_staged += static_cast<int>(k);
            if (rows_staged >= kStagedRows) {
              SimdAccumulateSum(st, &partials.sum[bi * cols + b.j0], b.nc);
              std::fill(st, st + b.nc, 0.0f);
              rows_staged = 0;
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
  }, std::max<int64_t>(1, kChunkElements / std::max<int64_t>(1, bh * bw)));

  // Combine partials in a fixed order.
  const size_t outputs = axis == 1 ? rows : axis == 0 ? cols : 1;
  Partials<T> total;
  total.Reset(outputs, red.op, red.is_max);
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

template void Reduce<float>(const Program<float>&, const Space<float>&, OpKind, int, int, std::vector<float>&);
template void Reduce<double>(const Program<double>&, const Space<double>&, OpKind, int, int, std::vector<double>&);

}  // namespace neon::cpu
