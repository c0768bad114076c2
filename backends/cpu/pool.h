// Pooling on the cpu backend, in place on host memory on the backend's OpenMP threads:
// max pooling forward vectorised over the innermost dimension, the rest the reference
// loops (host_ops.h). In neon's layout a task is a channel, an (H, W, N) block; in the
// device layout (onednn_layout.h) a task is an (H, W, 16 channels) block of one sample,
// the same loops with the channel block in the batch's place. An operand in the other
// layout is reordered through a cached scratch buffer.
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
