// Run a compiled plan with the runtime values of one binding.
#pragma once

#include "graph/bind.h"
#include "graph/plan.h"

namespace neon {

void Execute(const Plan& plan, const Binding& binding, const Tensor& output);

}  // namespace neon
