// Runs every conformance case on every backend usable here and compares it
// with `reference` (tests/conformance.h: RunCase, shared with `neon check`).
#include <gtest/gtest.h>

#include <cctype>
#include <map>

#include "backends/registry.h"
#include "graph/random_stream.h"
#include "tests/backends_under_test.h"
#include "tests/conformance.h"

namespace neon::conformance {
namespace {

class ConformanceTest : public ::testing::TestWithParam<std::tuple<std::string, size_t>> {};

TEST_P(ConformanceTest, MatchesReference) {
  const auto& [backend_name, index] = GetParam();
  CaseResult result = RunCase(AllCases(), index, SharedBackend(backend_name), SharedBackend("reference"));
  if (result.skipped) GTEST_SKIP() << result.message;
  EXPECT_TRUE(result.ok) << backend_name << " / " << AllCases()[index].name << ": " << result.message;
}

// Test names allow only letters, digits and underscores.
std::string TestName(std::string text) {
  for (char& c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return text;
}

std::vector<std::tuple<std::string, size_t>> AllParams() {
  std::vector<std::tuple<std::string, size_t>> params;
  for (const std::string& backend : BackendsUnderTest()) {
    for (size_t i = 0; i < AllCases().size(); ++i) params.emplace_back(backend, i);
  }
  return params;
}

INSTANTIATE_TEST_SUITE_P(AllBackends, ConformanceTest, ::testing::ValuesIn(AllParams()),
                         [](const ::testing::TestParamInfo<ConformanceTest::ParamType>& info) {
                           return TestName(std::get<0>(info.param)) + "_" + AllCases()[std::get<1>(info.param)].name;
                         });

// A suite that ran nothing proves nothing.
TEST(ConformanceSuite, HasCasesAndBackends) {
  EXPECT_GT(AllCases().size(), 200u);
  std::vector<std::string> available = AvailableBackends();
  EXPECT_NE(std::find(available.begin(), available.end(), "reference"), available.end());
}

}  // namespace
}  // namespace neon::conformance
