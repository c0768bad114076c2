// Evaluation of FusedKernel programs on host memory: tile by tile (a few
// hundred elements per register, kept in L1), float32 programs through the
// Highway kernels, float64 programs through core/scalar_ops.h, reductions
// over a partition fixed by the shape alone so any thread count gives
// bit-identical results.
#pragma once

#include "core/kernel.h"

namespace neon::cpu {

// Runs `kernel` with `args` using up to num_threads OpenMP threads. The launch
// must have passed CheckKernelLaunch (backends/validate.h).
void RunFused(const FusedKernel& kernel, const KernelArgs& args, int num_threads);

}  // namespace neon::cpu
