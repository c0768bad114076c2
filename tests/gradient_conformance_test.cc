// Every autodiff gradient case on every backend usable here, against
// `reference`, in float32 and float64: a backend that passes the op cases
// gets its gradients checked too, with no change to this file.
#include <gtest/gtest.h>

#include <cctype>
#include <map>

#include "autodiff/gradient_cases.h"
#include "backends/registry.h"
#include "tests/conformance.h"

namespace neon::conformance {
namespace {


using Param = std::tuple<std::string, size_t, DType>;

class GradientConformanceTest : public ::testing::TestWithParam<Param> {};

TEST_P(GradientConformanceTest, MatchesReference) {
  const auto& [backend_name, index, dtype] = GetParam();
  Backend& device = SharedBackend(backend_name);
  const GradientCase& gradient_case = GradientCases()[index];
  std::vector<std::vector<double>> expected = EvaluateGradientCase(gradient_case, SharedBackend("reference"), dtype);
  std::vector<std::vector<double>> actual = EvaluateGradientCase(gradient_case, device, dtype);
  ASSERT_EQ(expected.size(), actual.size());
  // float64 differs from the reference only by summation order (~1e-16 relative).
  double tolerance = dtype == DType::kFloat32 ? 1e-7 : 1e-20;
  for (size_t i = 0; i < expected.size(); ++i) {
    Comparison comparison = CompareResults(expected[i], actual[i], tolerance);
    EXPECT_TRUE(comparison.ok) << backend_name << " / " << gradient_case.name << " gradient " << i << ": "
                               << comparison.message;
  }
}

std::vector<Param> AllParams() {
  std::vector<Param> params;
  for (const std::string& backend : BackendsUnderTest()) {
    for (size_t i = 0; i < GradientCases().size(); ++i) {
      params.emplace_back(backend, i, DType::kFloat32);
      // A device without float64 is not asked for it.
      if (SharedBackend(backend).info().supports_float64) params.emplace_back(backend, i, DType::kFloat64);
    }
  }
  return params;
}

std::string TestName(const ::testing::TestParamInfo<Param>& info) {
  std::string name = std::get<0>(info.param) + "_" + GradientCases()[std::get<1>(info.param)].name + "_" +
                     std::string(DTypeName(std::get<2>(info.param)));
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(AllBackends, GradientConformanceTest, ::testing::ValuesIn(AllParams()), TestName);

TEST(GradientConformanceSuite, HasCases) { EXPECT_GT(GradientCases().size(), 40u); }

}  // namespace
}  // namespace neon::conformance
