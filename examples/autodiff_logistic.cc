// The seed's autodiff walk-through in C++ (neon: "Auto-differentiation"):
//
//   myTensor = be.zeros((10,10), name='myTensor')
//   f = 1/(1+be.exp(-1*myTensor))
//   fval = be.empty((10,10)); fval[:] = f
//   myAutodiff = Autodiff(op_tree=f, be=be)
//   grads = myAutodiff.get_grad_tensor(myTensor)
//   grads = myAutodiff.get_grad_asnumpyarray(myTensor)
//   grads = be.empty((10,10)); myAutodiff.back_prop_grad(myTensor, grads)
//
// Every gradient is sig'(0) = sig(0) (1 - sig(0)) = 0.25; the program checks it
// and exits non-zero otherwise. Run: tools/bazel run //examples:autodiff_logistic -- [--backend=NAME]
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "autodiff/autodiff.h"
#include "backends/registry.h"
#include "examples/backend_flag.h"
#include "core/error.h"
#include "graph/expr.h"

namespace {

// Whether every value is 0.25 (float32 rounding aside); prints the first mismatch.
bool AllQuarter(const char* what, const std::vector<float>& values) {
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::fabs(values[i] - 0.25f) > 1e-6f) {
      std::fprintf(stderr, "autodiff_logistic: %s[%zu] = %f, expected 0.25 = d/dx sig(0)\n", what, i, values[i]);
      return false;
    }
  }
  std::printf("%s: %zu values, all 0.25 = d/dx sig(0)\n", what, values.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string spec = BackendFlag(argc, argv);
  try {
    std::unique_ptr<neon::Backend> be = neon::CreateBackend(spec);
    neon::Tensor my_tensor = neon::zeros(*be, {10, 10}, neon::DType::kFloat32, "myTensor");
    neon::Expr f = 1 / (1 + neon::exp(-1 * my_tensor));
    neon::Tensor fval = neon::empty(*be, {10, 10});
    fval.assign(f);
    std::printf("backend %s: f = %s, fval[0, 0] = %g\n", be->info().name.c_str(), f.ToString().c_str(),
                fval.get<float>()[0]);

    neon::Autodiff my_autodiff(f, *be);
    neon::Tensor grads = my_autodiff.get_grad_tensor(my_tensor);
    bool ok = AllQuarter("get_grad_tensor", grads.get<float>());
    ok &= AllQuarter("get_grad_host", my_autodiff.get_grad_host(my_tensor));
    neon::Tensor buffer = neon::empty(*be, {10, 10});
    my_autodiff.back_prop_grad(my_tensor, buffer);
    ok &= AllQuarter("back_prop_grad", buffer.get<float>());
    std::printf("gradient op-tree: %s\n", my_autodiff.get_grad_op_tree(my_tensor).ToString().c_str());
    return ok ? 0 : 1;
  } catch (const neon::Error& error) {
    std::fprintf(stderr, "autodiff_logistic: %s\n", error.what());
    return 2;
  }
}
