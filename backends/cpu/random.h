// Philox streams on the host (bit-identical to core/philox.h): runs of
// uniform values for the fused kernels' kRand, and Backend::fill_random.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/kernel.h"

namespace neon::cpu {

// dst[k] = philox::Uniform(philox::Bits(seed, position + k)) for k < n, one
// Philox block per four positions.
template <typename T>
void UniformRun(uint64_t seed, uint64_t position, size_t n, T* dst);

// Backend::fill_random for host memory, with up to num_threads threads.
void FillRandom(const RandomArgs& args, int num_threads);

}  // namespace neon::cpu
