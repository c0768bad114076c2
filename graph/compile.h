// Compile an assignment into a Plan: pick GEMM stages (scalar factors folded
// into alpha/beta), fuse elementwise chains with at most one trailing
// reduction and its epilogue into one kernel (common subexpressions computed
// once), and materialise what cannot fuse (a reduction or product used at
// another shape, a transposed compound) into temporaries first. A fused
// kernel's body stops growing at kKernelNodeBudget nodes: deeper compound
// operands get kernels of their own, so no kernel (and no OpenCL compile) is
// unbounded. A kernel also reads at most the backend's max_kernel_inputs()
// tensors (a device's limit on argument bytes): a plan with a wider kernel is
// compiled again with half the node budget, down to one node.
#pragma once

#include <limits>

#include "graph/bind.h"
#include "graph/plan.h"

namespace neon {

// Tree nodes (operations, inputs, constants) one fused kernel body takes in before the
// compiler splits: a body then holds at most about twice this many inputs and instructions.
inline constexpr int kKernelNodeBudget = 48;

// Tensor inputs a fused kernel may read when the backend sets no limit.
inline constexpr int kNoKernelInputLimit = std::numeric_limits<int>::max();

// BackendError when a kernel that cannot be split further (a fused reduction's epilogue,
// a broadcast operand drawing rand()) still reads more than max_kernel_inputs tensors.
Plan Compile(const Expr& value, const Tensor& output, const Binding& binding, const BindingIndex& index,
             int max_kernel_inputs = kNoKernelInputLimit);

}  // namespace neon
