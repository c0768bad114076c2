// Compile an assignment into a Plan: pick GEMM stages (scalar factors folded
// into alpha/beta), fuse elementwise chains with at most one trailing
// reduction and its epilogue into one kernel (common subexpressions computed
// once), and materialise what cannot fuse (a reduction or product used at
// another shape, a transposed compound) into temporaries first. A fused
// kernel's body stops growing at kKernelNodeBudget nodes: deeper compound
// operands get kernels of their own, so no kernel (and no OpenCL compile) is
// unbounded.
#pragma once

#include "graph/bind.h"
#include "graph/plan.h"

namespace neon {

// Tree nodes (operations, inputs, constants) one fused kernel body takes in before the
// compiler splits: a body then holds at most about twice this many inputs and instructions.
inline constexpr int kKernelNodeBudget = 48;

Plan Compile(const Expr& value, const Tensor& output, const Binding& binding, const BindingIndex& index);

}  // namespace neon
