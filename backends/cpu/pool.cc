#include "backends/cpu/pool.h"

#include "backends/host_buffer.h"
#include "backends/host_ops.h"

namespace neon::cpu {

namespace {

template <typename T>
T* Pointer(const BufferRef& ref) {
  return reinterpret_cast<T*>(HostBuffer::Data(ref.buffer)) + ref.offset;
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
