// Convolution on the cpu backend through oneDNN primitives: described with
// format `any` (oneDNN picks its fastest, blocked layout), created once per
// geometry and cached (describe -> create -> execute), with reorders between
// the caller's activations and the primitive's layout around each call where they
// differ: none for operands in the device layout the primitive picked (onednn_layout.h),
// the output gradient once for both backward passes (RunBackward).
// float64 has no oneDNN convolution; it runs the reference loops in place.
#pragma once

#include <memory>

#include "core/conv_args.h"

namespace neon::cpu {

class ConvPrimitives {
 public:
  ConvPrimitives();
  ~ConvPrimitives();
  // Runs one pass (arguments already checked) with the backend's threads.
  void Run(const ConvArgs& args, ConvPass pass, int num_threads);
  // Both backward passes; when they read the same output gradient it is reordered once.
  void RunBackward(const ConvArgs& filter_args, const ConvArgs& data_args, int num_threads);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace neon::cpu
