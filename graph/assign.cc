// Tensor::assign: bind the tree, find or compile its plan, run it.
#include "graph/bind.h"
#include "graph/compile.h"
#include "core/error.h"
#include "graph/execute.h"
#include "graph/expr.h"
#include "graph/plan_cache.h"

namespace neon {

Tensor& Tensor::assign(const Expr& value) {
  if (!defined()) throw ArgumentError("assign: the destination is a null (default-constructed) Tensor");
  const Shape& shape = value.shape();
  int64_t rows = rows2d();
  int64_t cols = cols2d();
  if ((shape[0] != rows && shape[0] != 1) || (shape[1] != cols && shape[1] != 1)) {
    throw ShapeError("assign: a value of shape " + ShapeString(shape) + " does not fit tensor '" + name_ +
                     "' of shape " + ShapeString(shape_) + " (seen as (" + std::to_string(rows) + ", " +
                     std::to_string(cols) + "); each axis must match or be 1)");
  }
  if (rows == 0 || cols == 0) return *this;
  CheckTreeDepth(value, "assign");
  Binding binding = Bind(value, *this);
  const int max_kernel_inputs = backend().max_kernel_inputs();
  // A device with a kernel input limit may need a plan split further: not shared with others.
  if (max_kernel_inputs != kNoKernelInputLimit) binding.key += "|in" + std::to_string(max_kernel_inputs);
  std::shared_ptr<const Plan> plan = FindPlan(binding.key);
  if (!plan) {
    BindingIndex index;
    Binding indexed = Bind(value, *this, &index);
    plan = StorePlan(binding.key, Compile(value, *this, indexed, index, max_kernel_inputs));
  }
  try {
    Execute(*plan, binding, *this);
  } catch (const ShadowMismatchError& mismatch) {  // --validate: name the op-tree the stage came from
    throw ShadowMismatchError(std::string(mismatch.what()) + "\n  while assigning " + value.ToString() +
                              " to '" + name_ + "' " + ShapeString(shape_));
  }
  return *this;
}

}  // namespace neon
