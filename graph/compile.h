// Compile an assignment into a Plan: pick GEMM stages (scalar factors folded
// into alpha/beta), fuse elementwise chains with at most one trailing
// reduction and its epilogue into one kernel (common subexpressions computed
// once), and materialise what cannot fuse (a reduction or product used at
// another shape, a transposed compound) into temporaries first.
#pragma once

#include "graph/bind.h"
#include "graph/plan.h"

namespace neon {

Plan Compile(const Expr& value, const Tensor& output, const Binding& binding, const BindingIndex& index);

}  // namespace neon
