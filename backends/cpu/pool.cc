#include "backends/cpu/pool.h"

#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <mutex>
#include <string>
#include <type_traits>

#include "backends/cpu/gemm.h"
#include "backends/cpu/host_access.h"
#include "backends/cpu/onednn_layout.h"
#include "backends/host_ops.h"
#include "core/error.h"
#include "core/lru_map.h"

namespace neon::cpu {

namespace {

// Max pooling of one channel, the same result as host_ops::PoolFprop (the first largest
// wins ties, -1 for a window of padding only) but vectorised over the batch, the
// innermost dimension: each window position is bounds-checked once, not once per sample.
template <typename T, int kLanes>
[[gnu::always_inline]] inline void MaxPoolChannel(const PoolGeometry& g, const T* src, T* dst, int32_t* argmax) {
  const int64_t lanes = kLanes > 0 ? kLanes : g.n;  // a constant unrolls the lane loops into vector ops
  for (int64_t p = 0; p < g.p; ++p) {
    for (int64_t q = 0; q < g.q; ++q) {
      T* best = dst + (p * g.q + q) * lanes;
      int32_t* chosen = argmax + (p * g.q + q) * lanes;
      bool empty = true;
      for (int64_t r = 0; r < g.r; ++r) {
        int64_t h = p * g.stride_h - g.pad_h + r;
        if (h < 0 || h >= g.h) continue;
        for (int64_t s = 0; s < g.s; ++s) {
          int64_t w = q * g.stride_w - g.pad_w + s;
          if (w < 0 || w >= g.w) continue;
          const T* value = src + (h * g.w + w) * lanes;
          const int32_t index = static_cast<int32_t>(h * g.w + w);
          if (empty) {
            std::copy(value, value + lanes, best);
            std::fill(chosen, chosen + lanes, index);
            empty = false;
            continue;
          }
#pragma omp simd
          for (int64_t n = 0; n < lanes; ++n) {
            bool larger = value[n] > best[n];  // false for NaN either side, as in the reference
            best[n] = larger ? value[n] : best[n];
            chosen[n] = larger ? index : chosen[n];
          }
        }
      }
      if (empty) {
        std::fill(best, best + lanes, T(0));
        std::fill(chosen, chosen + lanes, -1);
      }
    }
  }
}

// Max pooling backward of one channel, the same bits as host_ops::PoolBprop (each input
// element sums its gradients in output order; +0.0 added where a window did not choose it)
// but vectorised over the innermost dimension: each window position takes the output
// gradient of the lanes whose argmax names it. Windows that tile the input write it once.
template <typename T, int kLanes>
[[gnu::always_inline]] inline void MaxPoolBpropChannel(const PoolGeometry& g, const T* dst, const int32_t* argmax,
                                                       T* src) {
  const int64_t lanes = kLanes > 0 ? kLanes : g.n;
  const bool tiles = g.stride_h == g.r && g.stride_w == g.s && g.pad_h == 0 && g.pad_w == 0 && g.p * g.r == g.h &&
                     g.q * g.s == g.w;
  if (!tiles) std::fill(src, src + g.h * g.w * lanes, T(0));
  for (int64_t p = 0; p < g.p; ++p) {
    for (int64_t q = 0; q < g.q; ++q) {
      const T* e = dst + (p * g.q + q) * lanes;
      const int32_t* chosen = argmax + (p * g.q + q) * lanes;
      for (int64_t r = 0; r < g.r; ++r) {
        int64_t h = p * g.stride_h - g.pad_h + r;
        if (h < 0 || h >= g.h) continue;
        for (int64_t s = 0; s < g.s; ++s) {
          int64_t w = q * g.stride_w - g.pad_w + s;
          if (w < 0 || w >= g.w) continue;
          T* x = src + (h * g.w + w) * lanes;
          const int32_t index = static_cast<int32_t>(h * g.w + w);
          if (tiles) {
#pragma omp simd
            for (int64_t n = 0; n < lanes; ++n) x[n] = chosen[n] == index ? e[n] + T(0) : T(0);  // +0: no -0.0
          } else {
#pragma omp simd
            for (int64_t n = 0; n < lanes; ++n) x[n] += chosen[n] == index ? e[n] : T(0);
          }
        }
      }
    }
  }
}

// The float32 loops, the device layout's 16 or 8 lanes as compile-time constants.
[[gnu::always_inline]] inline void MaxPoolLanes(const PoolGeometry& g, const float* src, float* dst,
                                                int32_t* argmax) {
  if (g.n == 16) return MaxPoolChannel<float, 16>(g, src, dst, argmax);
  if (g.n == 8) return MaxPoolChannel<float, 8>(g, src, dst, argmax);
  MaxPoolChannel<float, 0>(g, src, dst, argmax);
}
[[gnu::always_inline]] inline void MaxPoolBpropLanes(const PoolGeometry& g, const float* dst, const int32_t* argmax,
                                                     float* src) {
  if (g.n == 16) return MaxPoolBpropChannel<float, 16>(g, dst, argmax, src);
  if (g.n == 8) return MaxPoolBpropChannel<float, 8>(g, dst, argmax, src);
  MaxPoolBpropChannel<float, 0>(g, dst, argmax, src);
}

// Those loops compiled for AVX-512 and AVX2 too (the project builds for x86-64-v2); the
// best the CPU runs is chosen on first use. Not target_clones: its ifunc resolvers run
// while the loader relocates, before ThreadSanitizer's runtime is up, and crash every
// binary built with --config=tsan.
using MaxPoolFn = void (*)(const PoolGeometry&, const float*, float*, int32_t*);
using MaxPoolBpropFn = void (*)(const PoolGeometry&, const float*, const int32_t*, float*);

[[gnu::target("avx512f")]] void MaxPoolAvx512(const PoolGeometry& g, const float* s, float* d, int32_t* a) {
  MaxPoolLanes(g, s, d, a);
}
[[gnu::target("avx512f")]] void MaxPoolBpropAvx512(const PoolGeometry& g, const float* d, const int32_t* a, float* s) {
  MaxPoolBpropLanes(g, d, a, s);
}
[[gnu::target("avx2")]] void MaxPoolAvx2(const PoolGeometry& g, const float* s, float* d, int32_t* a) {
  MaxPoolLanes(g, s, d, a);
}
[[gnu::target("avx2")]] void MaxPoolBpropAvx2(const PoolGeometry& g, const float* d, const int32_t* a, float* s) {
  MaxPoolBpropLanes(g, d, a, s);
}
void MaxPoolBaseline(const PoolGeometry& g, const float* s, float* d, int32_t* a) { MaxPoolLanes(g, s, d, a); }
void MaxPoolBpropBaseline(const PoolGeometry& g, const float* d, const int32_t* a, float* s) {
  MaxPoolBpropLanes(g, d, a, s);
}

struct MaxPoolKernels {
  MaxPoolFn fprop;
  MaxPoolBpropFn bprop;
};

const MaxPoolKernels& ChosenMaxPoolKernels() {
  static const MaxPoolKernels kernels = [] {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return MaxPoolKernels{MaxPoolAvx512, MaxPoolBpropAvx512};
    if (__builtin_cpu_supports("avx2")) return MaxPoolKernels{MaxPoolAvx2, MaxPoolBpropAvx2};
    return MaxPoolKernels{MaxPoolBaseline, MaxPoolBpropBaseline};
  }();
  return kernels;
}

template <typename T>
void MaxPool(const PoolGeometry& g, const T* src, T* dst, int32_t* argmax) {
  if constexpr (std::is_same_v<T, float>) {
    ChosenMaxPoolKernels().fprop(g, src, dst, argmax);
  } else {
    MaxPoolChannel<T, 0>(g, src, dst, argmax);
  }
}
template <typename T>
void MaxPoolBprop(const PoolGeometry& g, const T* dst, const int32_t* argmax, T* src) {
  if constexpr (std::is_same_v<T, float>) {
    ChosenMaxPoolKernels().bprop(g, dst, argmax, src);
  } else {
    MaxPoolBpropChannel<T, 0>(g, dst, argmax, src);
  }
}

// Pools `tasks` independent blocks laid out like one channel of `block` ((H, W, n) with
// n innermost): the channels of neon's layout, or the (sample, channel block) pairs of
// the device layout.
template <typename T>
void PoolBlocks(const PoolArgs& args, const PoolGeometry& block, int64_t tasks, bool bprop, T* src, T* dst,
                int32_t* argmax, int num_threads) {
  const int64_t in_size = block.h * block.w * block.n;
  const int64_t out_size = block.p * block.q * block.n;
  if (bprop && argmax != nullptr) host_ops::CheckArgmax(args.geometry, argmax);  // throws outside the parallel region
#pragma omp parallel for num_threads(num_threads) schedule(static)
  for (int64_t t = 0; t < tasks; ++t) {
    int32_t* task_argmax = argmax == nullptr ? nullptr : argmax + t * out_size;
    if (bprop && args.op == PoolOp::kMax) {
      MaxPoolBprop<T>(block, dst + t * out_size, task_argmax, src + t * in_size);
    } else if (bprop) {
      host_ops::PoolBprop<T>(args.op, block, dst + t * out_size, task_argmax, src + t * in_size);
    } else if (args.op == PoolOp::kMax) {
      MaxPool<T>(block, src + t * in_size, dst + t * out_size, task_argmax);
    } else {
      host_ops::PoolFprop<T>(args.op, block, src + t * in_size, dst + t * out_size, task_argmax);
    }
  }
}

template <typename T>
void PoolNeonLayout(const PoolArgs& args, bool bprop, int num_threads) {
  PoolGeometry channel = args.geometry;
  channel.c = 1;
  int32_t* argmax = args.op == PoolOp::kMax ? HostPointer<int32_t>(args.argmax) : nullptr;
  PoolBlocks<T>(args, channel, args.geometry.c, bprop, HostPointer<T>(args.src), HostPointer<T>(args.dst), argmax,
                num_threads);
}

constexpr size_t kMaxCachedScratch = 16;

std::string Key(const PoolGeometry& g) {
  std::string key;
  for (int64_t v : {g.n, g.c, g.h, g.w, g.p, g.q}) key += std::to_string(v) + ",";
  return key;
}

// The device layout's task: one sample's (H, W, block of channels).
PoolGeometry DeviceBlock(const PoolGeometry& g) {
  PoolGeometry block = g;
  block.c = 1;
  block.n = DeviceLayoutBlock();
  return block;
}

// Both operands in the device layout (float32 only): no reorder, no shared state.
void PoolDeviceLayout(const PoolArgs& args, bool bprop, int num_threads) {
  const PoolGeometry& g = args.geometry;
  PoolGeometry block = DeviceBlock(g);
  int32_t* argmax = args.op == PoolOp::kMax ? HostPointer<int32_t>(args.argmax) : nullptr;
  PoolBlocks<float>(args, block, g.n * (g.c / block.n), bprop, HostPointer<float>(args.src), HostPointer<float>(args.dst),
                    argmax, num_threads);
}

// Device-layout buffers for the operands given in neon's layout.
struct Scratch {
  dnnl::memory src, dst;
};

}  // namespace

struct PoolPrimitives::Impl {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  std::mutex mutex;  // guards the scratch buffers, which a call uses throughout
  LruMap<std::string, Scratch> scratch{kMaxCachedScratch};

  // One operand in the device layout, the other in neon's: that one is reordered.
  void RunMixedLayouts(const PoolArgs& args, bool bprop, int num_threads) {
    const PoolGeometry& g = args.geometry;
    std::lock_guard<std::mutex> lock(mutex);
    OmpThreadsScope threads(num_threads);
    std::string key = Key(g);
    Scratch* buffers = scratch.Find(key);
    if (buffers == nullptr) buffers = &scratch.Insert(key, Scratch{});
    dnnl::memory::desc src_user = ActivationDesc(args.src_layout, g.n, g.c, g.h, g.w);
    dnnl::memory::desc dst_user = ActivationDesc(args.dst_layout, g.n, g.c, g.p, g.q);
    dnnl::memory::desc src_device = ActivationDesc(ActivationLayout::kDevice, g.n, g.c, g.h, g.w);
    dnnl::memory::desc dst_device = ActivationDesc(ActivationLayout::kDevice, g.n, g.c, g.p, g.q);
    PoolGeometry block = DeviceBlock(g);
    const int64_t tasks = g.n * (g.c / block.n);
    int32_t* argmax = args.op == PoolOp::kMax ? HostPointer<int32_t>(args.argmax) : nullptr;
    auto data = [](const dnnl::memory& m) { return static_cast<float*>(m.get_data_handle()); };
    try {
      ReorderingStream io(engine);
      if (!bprop) {
        dnnl::memory src = io.In(src_user, args.src, src_device, buffers->src);
        dnnl::memory dst = io.OutTarget(dst_user, args.dst, dst_device, buffers->dst);
        io.Wait();
        PoolBlocks<float>(args, block, tasks, false, data(src), data(dst), argmax, num_threads);
        io.Out(dst, dst_user, args.dst);
      } else {
        dnnl::memory diff_dst = io.In(dst_user, args.dst, dst_device, buffers->dst);
        dnnl::memory diff_src = io.OutTarget(src_user, args.src, src_device, buffers->src);
        io.Wait();
        PoolBlocks<float>(args, block, tasks, true, data(diff_src), data(diff_dst), argmax, num_threads);
        io.Out(diff_src, src_user, args.src);
      }
      io.Wait();
    } catch (const dnnl::error& error) {
      throw BackendError(std::string("cpu backend: oneDNN reorder for pooling failed: ") + error.what());
    }
  }
};

PoolPrimitives::PoolPrimitives() : impl_(std::make_unique<Impl>()) {}
PoolPrimitives::~PoolPrimitives() = default;

void PoolPrimitives::Run(const PoolArgs& args, bool bprop, int num_threads) {
  if (args.src_layout != args.dst_layout) {
    impl_->RunMixedLayouts(args, bprop, num_threads);
  } else if (args.src_layout == ActivationLayout::kDevice) {
    PoolDeviceLayout(args, bprop, num_threads);
  } else if (args.dtype == DType::kFloat64) {
    PoolNeonLayout<double>(args, bprop, num_threads);
  } else {
    PoolNeonLayout<float>(args, bprop, num_threads);
  }
}

}  // namespace neon::cpu
