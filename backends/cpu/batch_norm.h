// Batch norm on the cpu backend through oneDNN's batch_normalization primitives,
// created once per shape and cached (describe -> create -> execute). neon's
// (C, E) activations are described as oneDNN's plain (N=1, C, 1, E): the
// statistics cover every element of a channel either way, and the layout is
// ours, so no reorder. Measured (docs/cpu_backend.md): faster than reordering
// into the blocked nChw16c layout and back; explicit (C, H, W, N) strides fall
// back to oneDNN's slow reference kernel. Activations in the device layout (a chain
// of conv layers, onednn_layout.h) are described as such, also without a reorder.
// float64 runs the reference loops in place.
#pragma once

#include <memory>

#include "core/conv_args.h"

namespace neon::cpu {

class BatchNormPrimitives {
 public:
  BatchNormPrimitives();
  ~BatchNormPrimitives();
  // Runs fprop or bprop (arguments already checked) with the backend's threads.
  void Run(const BatchNormArgs& args, bool bprop, int num_threads);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace neon::cpu
