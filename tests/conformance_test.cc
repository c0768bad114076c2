// Runs every conformance case on every backend usable here and compares it
// with `reference`. Outputs sit between sentinel rows (and, for strided
// outputs, sentinel columns) that must survive untouched.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <map>

#include "backends/registry.h"
#include "tests/conformance.h"

namespace neon::conformance {
namespace {

constexpr double kSentinel = -12345.5;


// Output view inside a larger sentinel-filled tensor: contiguous rows with guard rows around, or a
// strided window with guard rows and columns.
struct GuardedOutput {
  Tensor whole;
  Tensor view;
};

GuardedOutput MakeOutput(Backend& backend, const Shape& shape, DType dtype, bool strided) {
  int64_t rows = shape[0];
  int64_t cols = shape[1];
  GuardedOutput out;
  out.whole = full(backend, {rows + 2, cols + (strided ? 2 : 0)}, kSentinel, dtype, "guarded");
  out.view = out.whole.rows(1, rows + 1);
  if (strided) out.view = out.view.cols(1, cols + 1);
  return out;
}

std::string SentinelDamage(const GuardedOutput& out) {
  std::vector<double> whole = out.whole.get<double>();
  int64_t cols = out.whole.shape()[1];
  int64_t rows = out.whole.shape()[0];
  bool strided = cols != out.view.shape()[1];
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) {
      bool inside = i >= 1 && i < rows - 1 && (!strided || (j >= 1 && j < cols - 1));
      double value = whole[static_cast<size_t>(i * cols + j)];
      bool sentinel = value == kSentinel || (out.whole.dtype() == DType::kInt32 && value == -12345);
      if (!inside && !sentinel) {
        return "write outside the output at guard position (" + std::to_string(i) + ", " + std::to_string(j) + ")";
      }
    }
  }
  return "";
}

std::vector<double> Evaluate(Backend& backend, const Case& test_case, const std::vector<std::vector<double>>& values,
                             bool strided_output, std::string& damage) {
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < test_case.inputs.size(); ++i) {
    inputs.push_back(MakeInput(backend, test_case.inputs[i], values[i]));
  }
  Expr value = test_case.build(inputs);
  GuardedOutput out = MakeOutput(backend, value.shape(), test_case.output_dtype, strided_output);
  if (test_case.uses_rand) backend.set_seed(20261124);
  out.view.assign(value);
  damage = SentinelDamage(out);
  return out.view.get<double>();
}

class ConformanceTest : public ::testing::TestWithParam<std::tuple<std::string, size_t>> {};

TEST_P(ConformanceTest, MatchesReference) {
  const auto& [backend_name, index] = GetParam();
  const Case& test_case = AllCases()[index];
  std::vector<std::vector<double>> values;
  for (size_t i = 0; i < test_case.inputs.size(); ++i) {
    values.push_back(DrawValues(test_case.inputs[i], static_cast<uint32_t>(index * 31 + i)));
  }
  bool strided_output = index % 2 == 1;
  std::string reference_damage;
  std::string device_damage;
  std::vector<double> expected = Evaluate(SharedBackend("reference"), test_case, values, strided_output, reference_damage);
  std::vector<double> actual = Evaluate(SharedBackend(backend_name), test_case, values, strided_output, device_damage);
  EXPECT_EQ(reference_damage, "") << "reference";
  EXPECT_EQ(device_damage, "") << backend_name;
  Comparison comparison = CompareResults(expected, actual, test_case.tolerance, test_case.max_relative_error);
  EXPECT_TRUE(comparison.ok) << backend_name << " / " << test_case.name << ": " << comparison.message;
}

// $NEON_CONFORMANCE_BACKENDS (comma-separated specs, e.g. "plugin:/path/libmine.so") replaces
// the default: every registered backend usable on this machine.
std::vector<std::string> BackendsUnderTest() {
  const char* env = std::getenv("NEON_CONFORMANCE_BACKENDS");
  if (env == nullptr || *env == '\0') return AvailableBackends();
  std::vector<std::string> specs;
  std::string text = env;
  for (size_t start = 0; start <= text.size();) {
    size_t comma = std::min(text.find(',', start), text.size());
    if (comma > start) specs.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return specs;
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
