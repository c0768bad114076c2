#include "backends/cpu/pool.h"

#include <algorithm>

#include "backends/host_buffer.h"
#include "backends/host_ops.h"

namespace neon::cpu {

namespace {

template <typename T>
T* Pointer(const BufferRef& ref) {
  return reinterpret_cast<T*>(HostBuffer::Data(ref.buffer)) + ref.offset;
}

// Max pooling of one channel, the same result as host_ops::PoolFprop (the first largest
// wins ties, -1 for a window of padding only) but vectorised over the batch, the
// innermost dimension: each window position is bounds-checked once, not once per sample.
template <typename T>
void MaxPoolChannel(const PoolGeometry& g, const T* src, T* dst, int32_t* argmax) {
  for (int64_t p = 0; p < g.p; ++p) {
    for (int64_t q = 0; q < g.q; ++q) {
      T* best = dst + (p * g.q + q) * g.n;
      int32_t* chosen = argmax + (p * g.q + q) * g.n;
      bool empty = true;
      for (int64_t r = 0; r < g.r; ++r) {
        int64_t h = p * g.stride_h - g.pad_h + r;
        if (h < 0 || h >= g.h) continue;
        for (int64_t s = 0; s < g.s; ++s) {
          int64_t w = q * g.stride_w - g.pad_w + s;
          if (w < 0 || w >= g.w) continue;
          const T* value = src + (h * g.w + w) * g.n;
          const int32_t index = static_cast<int32_t>(h * g.w + w);
          if (empty) {
            std::copy(value, value + g.n, best);
            std::fill(chosen, chosen + g.n, index);
            empty = false;
            continue;
          }
#pragma omp simd
          for (int64_t n = 0; n < g.n; ++n) {
            bool larger = value[n] > best[n];  // false for NaN either side, as in the reference
            best[n] = larger ? value[n] : best[n];
            chosen[n] = larger ? index : chosen[n];
          }
        }
      }
      if (empty) {
        std::fill(best, best + g.n, T(0));
        std::fill(chosen, chosen + g.n, -1);
      }
    }
  }
}

template <typename T>
void PoolChannels(const PoolArgs& args, bool bprop, int num_threads) {
  const PoolGeometry& g = args.geometry;
  PoolGeometry channel = g;
  channel.c = 1;  // a channel's input and output are contiguous
  T* src = Pointer<T>(args.src);
  T* dst = Pointer<T>(args.dst);
  int32_t* argmax = args.op == PoolOp::kMax ? Pointer<int32_t>(args.argmax) : nullptr;
  const int64_t in_size = g.h * g.w * g.n;
  const int64_t out_size = g.p * g.q * g.n;
  if (bprop && argmax != nullptr) host_ops::CheckArgmax(g, argmax);  // throws outside the parallel region
#pragma omp parallel for num_threads(num_threads) schedule(static)
  for (int64_t c = 0; c < g.c; ++c) {
    int32_t* channel_argmax = argmax == nullptr ? nullptr : argmax + c * out_size;
    if (bprop) {
      host_ops::PoolBprop<T>(args.op, channel, dst + c * out_size, channel_argmax, src + c * in_size);
    } else if (args.op == PoolOp::kMax) {
      MaxPoolChannel<T>(channel, src + c * in_size, dst + c * out_size, channel_argmax);
    } else {
      host_ops::PoolFprop<T>(args.op, channel, src + c * in_size, dst + c * out_size, channel_argmax);
    }
  }
}

}  // namespace

void Pool(const PoolArgs& args, bool bprop, int num_threads) {
  if (args.dtype == DType::kFloat64) {
    PoolChannels<double>(args, bprop, num_threads);
  } else {
    PoolChannels<float>(args, bprop, num_threads);
  }
}

}  // namespace neon::cpu
