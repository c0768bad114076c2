// Every layer case and every cost case (layers/layer_cases.h) on one backend
// against `reference`: outputs, the error at the input, parameter gradients and
// running statistics must agree (NMSE, the suite's float32 limit). The backend
// is $NEON_TEST_BACKEND (tests/build_defs.bzl fans the test out per backend).
#include <gtest/gtest.h>


#include "backends/compare.h"
#include "layers/layer_cases.h"
#include "tests/backends_under_test.h"
#include "tests/conformance.h"

namespace neon::layer_cases {
namespace {

const std::string kBackend = BackendUnderTest();

// Float32 NMSE limit of the op suite; layers chain GEMMs and reductions whose
// summation order differs per backend, which stays far below it.
constexpr double kTolerance = 1e-7;

class LayerConformanceTest : public ::testing::TestWithParam<size_t> {};

TEST_P(LayerConformanceTest, MatchesReference) {
  const LayerCase& test_case = AllLayerCases()[GetParam()];
  LayerRun expected = RunLayerCase(conformance::SharedBackend("reference"), test_case, DType::kFloat32);
  LayerRun actual = RunLayerCase(conformance::SharedBackend(kBackend), test_case, DType::kFloat32,
                                 expected.used_params);
  ASSERT_EQ(expected.results.size(), actual.results.size());
  for (size_t i = 0; i < expected.results.size(); ++i) {
    Comparison comparison =
        CompareResults(expected.results[i].values, actual.results[i].values, kTolerance);
    EXPECT_TRUE(comparison.ok) << kBackend << " / " << test_case.name << " / " << expected.results[i].name << ": "
                               << comparison.message;
  }
}

INSTANTIATE_TEST_SUITE_P(Layers, LayerConformanceTest, ::testing::Range<size_t>(0, AllLayerCases().size()),
                         [](const ::testing::TestParamInfo<size_t>& info) { return AllLayerCases()[info.param].name; });

class CostConformanceTest : public ::testing::TestWithParam<size_t> {};

TEST_P(CostConformanceTest, MatchesReference) {
  const CostCase& test_case = AllCostCases()[GetParam()];
  std::vector<Result> expected = RunCostCase(conformance::SharedBackend("reference"), test_case, DType::kFloat32);
  std::vector<Result> actual = RunCostCase(conformance::SharedBackend(kBackend), test_case, DType::kFloat32);
  for (size_t i = 0; i < expected.size(); ++i) {
    Comparison comparison = CompareResults(expected[i].values, actual[i].values, kTolerance);
    EXPECT_TRUE(comparison.ok) << kBackend << " / " << test_case.name << " / " << expected[i].name << ": "
                               << comparison.message;
  }
}

INSTANTIATE_TEST_SUITE_P(Costs, CostConformanceTest, ::testing::Range<size_t>(0, AllCostCases().size()),
                         [](const ::testing::TestParamInfo<size_t>& info) { return AllCostCases()[info.param].name; });

}  // namespace
}  // namespace neon::layer_cases
