// Runs the seed's MultiplyByTwo layer inside a Model on a backend: fprop doubles
// the input, bprop doubles the error. Checks the values and exits non-zero on a mismatch.
// Run: tools/bazel run //examples:multiply_by_two -- [--backend=NAME]
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "backends/registry.h"
#include "examples/backend_flag.h"
#include "examples/multiply_by_two.h"
#include "core/error.h"
#include "layers/model.h"

namespace {

bool Check(const char* what, const std::vector<float>& got, const std::vector<float>& expected) {
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::fabs(got[i] - expected[i]) > 1e-6f) {
      std::fprintf(stderr, "multiply_by_two: %s[%zu] = %g, expected %g\n", what, i, got[i], expected[i]);
      return false;
    }
  }
  std::printf("%s: %zu values as expected (first %g)\n", what, got.size(), got[0]);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string spec = BackendFlag(argc, argv);
  try {
    std::unique_ptr<neon::Backend> be = neon::CreateBackend(spec);
    auto layer = std::make_shared<MultiplyByTwo>("times_two");
    neon::Model model(*be, {layer});
    model.configure({3}, 4);  // 3 features, batch of 4
    model.allocate();

    std::vector<float> values = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    neon::Tensor x = neon::array(*be, values, {3, 4});
    neon::Tensor y = model.fprop(x);
    std::vector<float> doubled;
    for (float v : values) doubled.push_back(2 * v);
    std::printf("backend %s: layer '%s' in_shape %s out_shape %s\n", be->info().name.c_str(), layer->name.c_str(),
                neon::ShapeString(layer->in_shape).c_str(), neon::ShapeString(layer->out_shape).c_str());
    bool ok = Check("fprop", y.get<float>(), doubled);

    neon::Tensor error = neon::ones(*be, {3, 4});
    ok &= Check("bprop", model.bprop(error).get<float>(), std::vector<float>(12, 2.0f));
    return ok ? 0 : 1;
  } catch (const neon::Error& error) {
    std::fprintf(stderr, "multiply_by_two: %s\n", error.what());
    return 2;
  }
}
