// Every gradient case on every backend usable here, against `reference`, in
// float32 and float64 (the conformance suite in tests/ may run the same list).
#include "autodiff/gradient_cases.h"

#include <gtest/gtest.h>

#include "autodiff/finite_differences.h"
#include "backends/registry.h"

namespace neon {
namespace {

TEST(GradientCasesTest, EveryBackendMatchesReference) {
  std::unique_ptr<Backend> reference = CreateBackend("reference");
  int compared = 0;
  for (const std::string& kind : AvailableBackends()) {
    if (kind == "reference") continue;
    std::unique_ptr<Backend> device = CreateBackend(kind);
    for (DType dtype : {DType::kFloat32, DType::kFloat64}) {
      if (dtype == DType::kFloat64 && !device->info().supports_float64) continue;
      for (const GradientCase& gradient_case : GradientCases()) {
        std::vector<std::vector<double>> expected = EvaluateGradientCase(gradient_case, *reference, dtype);
        std::vector<std::vector<double>> got = EvaluateGradientCase(gradient_case, *device, dtype);
        double tolerance = dtype == DType::kFloat32 ? 1e-4 : 1e-10;
        EXPECT_EQ(CompareGradients(got, expected, tolerance), "")
            << kind << " " << DTypeName(dtype) << " " << gradient_case.name;
        ++compared;
      }
    }
  }
  if (compared == 0) GTEST_SKIP() << "no backend besides reference is usable here";
}

}  // namespace
}  // namespace neon
