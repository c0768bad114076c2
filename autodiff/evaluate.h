// Evaluating several op-trees at once (the gradients of one backward pass):
// reductions and products that several trees share run once into
// temporaries, broadcast per-row / per-column subtrees are computed once at
// their own size instead of at every element, and writes are ordered so no
// target is overwritten while another tree still has to read it (a bprop often
// writes the input gradient into the buffer holding next_error).
#pragma once

#include <vector>

#include "graph/expr.h"
#include "graph/tensor.h"

namespace neon {

// values[i] is assigned into targets[i]; temporaries are made on `backend`.
void EvaluateAll(const std::vector<Expr>& values, const std::vector<Tensor>& targets, Backend& backend);

}  // namespace neon
