// The seed's op-tree example in C++ (neon: "Auto-differentiation" section):
//
//   myTensor = be.zeros((10,10), name='myTensor')
//   f = 1/(1+be.exp(-1*myTensor))
//   fval = be.empty((10,10))
//   fval[:] = f
//
// Run: tools/bazel run //examples:logistic -- [--backend=NAME]
#include <cstdio>
#include <cstring>
#include <string>

#include "backends/registry.h"
#include "examples/backend_flag.h"
#include "core/error.h"
#include "graph/expr.h"

int main(int argc, char** argv) {
  std::string spec = BackendFlag(argc, argv);
  try {
    std::unique_ptr<neon::Backend> be = neon::CreateBackend(spec);
    neon::Tensor my_tensor = neon::zeros(*be, {10, 10}, neon::DType::kFloat32, "myTensor");
    neon::Expr f = 1 / (1 + neon::exp(-1 * my_tensor));  // an op-tree: nothing has run yet
    neon::Tensor fval = neon::empty(*be, {10, 10});
    fval.assign(f);  // neon's fval[:] = f: compiled into one fused kernel and run

    std::vector<float> values = fval.get<float>();
    std::printf("backend %s: f = %s\n", be->info().name.c_str(), f.ToString().c_str());
    std::printf("fval[0, 0] = %.6f (expected 0.5 = sig(0))\n", values[0]);
    for (float value : values) {
      if (value != 0.5f) {
        std::fprintf(stderr, "logistic: got %f, expected 0.5\n", value);
        return 1;
      }
    }
    return 0;
  } catch (const neon::Error& error) {
    std::fprintf(stderr, "logistic: %s\n", error.what());
    return 2;
  }
}
