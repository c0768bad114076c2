// Run a compiled plan with the runtime values of one binding.
#pragma once

#include <cstdint>

#include "graph/bind.h"
#include "graph/plan.h"

namespace neon {

void Execute(const Plan& plan, const Binding& binding, const Tensor& output);

// Stages launched on any backend since the process started (for benchmarks that
// report launches per step).
struct LaunchStats {
  uint64_t kernels = 0;
  uint64_t gemms = 0;
};
LaunchStats GetLaunchStats();

}  // namespace neon
