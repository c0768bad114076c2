// Pooling on the cpu backend, in place on host memory on the backend's OpenMP threads:
// max pooling forward and backward vectorised over the innermost dimension, average
// pooling the reference loops (host_ops.h). In neon's layout a task is a channel, an
// (H, W, N) block; in the device layout (onednn_layout.h) a task is an (H, W, block)
// block of one sample (16 channels with AVX-512, else 8), the same loops with the
// channel block in the batch's place. An operand in the other layout is reordered
// through a cached scratch buffer.
#pragma once

#include <memory>

#include "core/conv_args.h"

namespace neon::cpu {

class PoolPrimitives {
 public:
  PoolPrimitives();
  ~PoolPrimitives();
  // Arguments already checked (host_ops::CheckPool).
  void Run(const PoolArgs& args, bool bprop, int num_threads);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace neon::cpu
