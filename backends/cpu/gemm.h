// GEMM on host memory: float32 through oneDNN's dnnl_sgemm (row-major, its
// own JIT kernels), float64 through a blocked loop of ours (oneDNN has no f64
// GEMM on CPU). Both use the same OpenMP pool, limited to the backend's threads.
#pragma once

#include "core/kernel.h"

namespace neon::cpu {

// C = alpha op(A) op(B) + beta C for every matrix of the batch. Throws
// ArgumentError on bad sizes, leading dimensions or out-of-range operands.
void Gemm(const GemmArgs& args, int num_threads);

// Sets the calling thread's OpenMP thread count for the scope (oneDNN reads it
// at each call), restoring the previous value after.
class OmpThreadsScope {
 public:
  explicit OmpThreadsScope(int num_threads);
  ~OmpThreadsScope();
  OmpThreadsScope(const OmpThreadsScope&) = delete;
  OmpThreadsScope& operator=(const OmpThreadsScope&) = delete;

 private:
  int saved_;
};

}  // namespace neon::cpu
