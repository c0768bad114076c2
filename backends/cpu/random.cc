#include "backends/cpu/random.h"

#include <omp.h>

#include <string>

#include "backends/cpu/host_access.h"
#include "core/error.h"
#include "core/philox.h"
#include "core/scalar_ops.h"

namespace neon::cpu {

namespace {

// Calls fn(k, bits) for the n positions starting at `position`, one Philox block per four.
template <typename Fn>
void ForEachBits(uint64_t seed, uint64_t position, size_t n, Fn fn) {
  const philox::Key key = philox::KeyOf(seed);
  size_t k = 0;
  while (k < n) {
    const uint64_t block = position / 4;
    const philox::Counter words = philox::Philox4x32(
        {static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), 0, 0}, key);
    for (uint64_t word = position % 4; word < 4 && k < n; ++word, ++k, ++position) fn(k, words[word]);
  }
}

template <typename T>
T Convert(double x) {
  if constexpr (std::is_same_v<T, int32_t>) {
    return ToInt32(x);
  } else {
    return static_cast<T>(x);
  }
}

// One row of the fill: n values at positions `position`.. into dst with column stride.
template <typename T>
void FillRow(const RandomArgs& args, uint64_t position, int64_t n, T* dst, int64_t col_stride) {
  switch (args.distribution) {
    case Distribution::kUniform:
      if constexpr (std::is_same_v<T, float>) {
        // float32 math, as the spec asks (this file is built without FMA contraction).
        const float a = static_cast<float>(args.a), width = static_cast<float>(args.b) - a;
        ForEachBits(args.seed, position, n, [&](size_t k, uint32_t bits) {
          dst[k * col_stride] = a + width * static_cast<float>(philox::Uniform(bits));
        });
      } else {
        const double a = args.a, width = args.b - args.a;
        ForEachBits(args.seed, position, n, [&](size_t k, uint32_t bits) {
          dst[k * col_stride] = Convert<T>(a + width * philox::Uniform(bits));
        });
      }
      break;
    case Distribution::kNormal:
      for (int64_t k = 0; k < n; ++k) {
        dst[k * col_stride] = Convert<T>(args.a + args.b * philox::Normal(args.seed, position + k));
      }
      break;
    case Distribution::kBernoulli:
      ForEachBits(args.seed, position, n, [&](size_t k, uint32_t bits) {
        dst[k * col_stride] = Convert<T>(philox::Bernoulli(bits, args.a));
      });
      break;
  }
}

template <typename T>
void FillTyped(const RandomArgs& args, int num_threads) {
  T* base = HostPointer<T>(args.dst);
  const int64_t rows = args.rows, cols = args.cols;
  const bool parallel = num_threads > 1 && rows > 1 && rows * cols >= (int64_t{1} << 15);
#pragma omp parallel for num_threads(num_threads) schedule(static) if (parallel)
  for (int64_t i = 0; i < rows; ++i) {
    FillRow<T>(args, args.counter_offset + static_cast<uint64_t>(i * cols), cols,
               base + i * args.dst.row_stride, args.dst.col_stride);
  }
}

}  // namespace

template <typename T>
void UniformRun(uint64_t seed, uint64_t position, size_t n, T* dst) {
  ForEachBits(seed, position, n, [&](size_t k, uint32_t bits) { dst[k] = static_cast<T>(philox::Uniform(bits)); });
}

template void UniformRun<float>(uint64_t, uint64_t, size_t, float*);
template void UniformRun<double>(uint64_t, uint64_t, size_t, double*);

void FillRandom(const RandomArgs& args, int num_threads) {
  if (args.rows < 0 || args.cols < 0) {
    throw ArgumentError("fill_random: rows and cols must be >= 0, got " + std::to_string(args.rows) +
                        " x " + std::to_string(args.cols));
  }
  if (args.rows == 0 || args.cols == 0) return;
  CheckView(args.dst, args.rows, args.cols, "fill_random destination");
  switch (args.dst.dtype) {
    case DType::kFloat32: return FillTyped<float>(args, num_threads);
    case DType::kFloat64: return FillTyped<double>(args, num_threads);
    case DType::kInt32: return FillTyped<int32_t>(args, num_threads);
  }
}

}  // namespace neon::cpu
