// How the cpu backend's oneDNN ops see activations: neon's (C, H, W, N) described by
// explicit strides (only reorders read it fast), or the backend's own layout
// (ActivationLayout::kDevice): oneDNN's channel-blocked nChw16c (nChw8c below AVX-512),
// the layout its convolutions pick for float32, so chains of conv, pooling and batch norm
// run without reorders (layers/device_layout.h).
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>

#include "core/conv_args.h"

namespace neon::cpu {

// The channel block of the device layout: 16 where oneDNN runs AVX-512, else 8.
int64_t DeviceLayoutBlock();

// (C, H, W, N) activations as oneDNN's logical (N, C, H, W) float32 in `layout`.
dnnl::memory::desc ActivationDesc(ActivationLayout layout, int64_t n, int64_t c, int64_t h, int64_t w);

// One call's operands: each is the caller's memory when its layout is the one the primitive
// reads or writes, else a primitive-layout buffer with a reorder in before or out after.
class ReorderingStream {
 public:
  explicit ReorderingStream(dnnl::engine& engine) : engine_(engine), stream_(engine) {}

  // An input: `ref` in `user`, as the primitive reads it in `prim` (through `scratch` when they differ).
  dnnl::memory In(const dnnl::memory::desc& user, const BufferRef& ref, const dnnl::memory::desc& prim,
                  dnnl::memory& scratch);
  // Where the primitive writes an output meant for `ref` in `user`; Out moves it there.
  dnnl::memory OutTarget(const dnnl::memory::desc& user, const BufferRef& ref, const dnnl::memory::desc& prim,
                         dnnl::memory& scratch);
  void Out(dnnl::memory written, const dnnl::memory::desc& user, const BufferRef& ref);

  dnnl::stream& stream() { return stream_; }
  void Wait() { stream_.wait(); }

 private:
  dnnl::engine& engine_;
  dnnl::stream stream_;
};

}  // namespace neon::cpu
