// Pooling on the cpu backend, in place on host memory, one channel per task on the
// backend's OpenMP threads: max pooling forward vectorised over the batch, the rest
// the reference loops (host_ops.h).
#pragma once

#include "core/conv_args.h"

namespace neon::cpu {

// Arguments already checked (host_ops::CheckPool).
void Pool(const PoolArgs& args, bool bprop, int num_threads);

}  // namespace neon::cpu
