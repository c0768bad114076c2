// Vectorised (Google Highway, runtime-dispatched) loops over float32 tiles:
// every elementwise op of the fused-kernel language and the reduction steps.
// Every loop reads and writes exactly n elements, so a tile may be a run of a
// tensor's own memory.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/op_table.h"

namespace neon::cpu {

// Which operand of a binary op is a single value (read from [0]) instead of a tile.
enum class Broadcast : uint8_t { kNone, kA, kB };

// dst[k] = op(src[k]) for k < n; dst may equal src.
void SimdUnary(OpKind op, const float* src, float* dst, size_t n);
// dst[k] = op(a[k], b[k]) with `broadcast` naming an operand that is one value.
void SimdBinary(OpKind op, const float* a, const float* b, float* dst, size_t n,
                Broadcast broadcast);

// Sum of src[0..n), accumulated in float64.
double SimdSum(const float* src, size_t n);
// NaN-propagating max / min of src[0..n) (n > 0).
float SimdMax(const float* src, size_t n);
float SimdMin(const float* src, size_t n);
// First index of the max (argmax) / min (argmin) of src[0..n); a NaN wins at once.
size_t SimdArgExtreme(bool is_max, const float* src, size_t n);

// Column accumulators (reduction over axis 0), k < n:
// acc[k] += src[k] in double.
void SimdAccumulateSum(const float* src, double* acc, size_t n);
// acc[k] += sum of rows[r * ld + k] for r < nrows (<= 8), in float32: a short
// staging sum before SimdAccumulateSum.
void SimdAccumulateRowsF32(const float* rows, int64_t ld, size_t nrows, float* acc, size_t n);
// acc[k] = max/min(acc[k], src[k]), NaN-propagating.
void SimdAccumulateExtreme(bool is_max, const float* src, float* acc, size_t n);
// best[k], index[k] replaced by (src[k], row) when src[k] beats best[k] strictly
// (a NaN beats everything but an earlier NaN).
void SimdAccumulateArg(bool is_max, const float* src, int32_t row, float* best, int32_t* index,
                       size_t n);

// The instruction set Highway dispatches to on this machine, e.g. "AVX3".
const char* SimdTargetName();

}  // namespace neon::cpu
