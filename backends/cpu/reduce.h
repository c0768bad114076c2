// Reductions of fused-kernel bodies (sum, max, min, argmax, argmin over axis
// 0, axis 1 or all) on a grid of tasks fixed by the shape, so any thread
// count gives bit-identical results.
#pragma once

#include <vector>

#include "backends/cpu/tiles.h"

namespace neon::cpu {

// Reduces the body `p` over s.rows x s.cols along `axis` (0, 1 or kAllAxes) with
// `op`; `reduced` gets the output shape, row-major (argmax/argmin: the index).
template <typename T>
void Reduce(const Program<T>& p, const Space<T>& s, OpKind op, int axis, int threads, std::vector<T>& reduced);

}  // namespace neon::cpu
