#include "tests/conformance.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <random>

#include "backends/registry.h"
#include "core/error.h"
#include "graph/random_stream.h"

namespace neon::conformance {

Backend& SharedBackend(const std::string& spec) {
  static auto* backends = new std::map<std::string, std::unique_ptr<Backend>>();
  std::unique_ptr<Backend>& slot = (*backends)[spec];
  if (!slot) slot = CreateBackend(spec);
  return *slot;
}

bool SupportsCase(Backend& backend, const Case& test_case) {
  if (backend.info().supports_float64) return true;
  bool float64 = test_case.output_dtype == DType::kFloat64;
  for (const InputSpec& input : test_case.inputs) float64 |= input.dtype == DType::kFloat64;
  return !float64;
}

const std::vector<double>& RangeLimitValues() {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  constexpr double kMaxFloat = std::numeric_limits<float>::max();
  constexpr double kMinNormal = std::numeric_limits<float>::min();
  constexpr double kMinDenormal = std::numeric_limits<float>::denorm_min();
  static const std::vector<double> values = {
      std::numeric_limits<double>::quiet_NaN(), kInf, -kInf, 0.0, -0.0, kMinDenormal, -kMinDenormal,
      1e-40, kMinNormal, -kMinNormal, 1e-30, kMaxFloat, -kMaxFloat, 3e38, 1e30, -1e30,
      128, -128, -150, 150, 1, -1, 0.5, 2, -3};
  return values;
}

std::vector<double> DrawValues(const InputSpec& spec, uint32_t seed) {
  int64_t count = spec.shape[0] * spec.shape[1];
  std::mt19937 engine(seed);
  std::uniform_real_distribution<double> uniform(spec.domain.low, spec.domain.high);
  std::vector<double> values(static_cast<size_t>(count));
  for (double& value : values) {
    value = uniform(engine);
    if (spec.domain.integers) value = std::nearbyint(value);
    if (spec.dtype == DType::kFloat32) value = static_cast<float>(value);
  }
  if (spec.domain.range_limits) {
    const std::vector<double>& limits = RangeLimitValues();
    for (size_t i = 0; i < values.size(); ++i) values[i] = limits[i % limits.size()];
  }
  if (spec.domain.specials) {
    const double specials[] = {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                               -std::numeric_limits<double>::infinity(), 0.0, -0.0};
    for (size_t i = 0; i < std::size(specials) && i * 3 < values.size(); ++i) values[i * 3] = specials[i];
  }
  return values;
}

Tensor MakeInput(Backend& backend, const InputSpec& spec, const std::vector<double>& values) {
  int64_t rows = spec.shape[0];
  int64_t cols = spec.shape[1];
  Tensor logical;
  switch (spec.layout) {
    case Layout::kPlain:
      logical = empty(backend, {rows, cols}, spec.dtype, "input");
      break;
    case Layout::kTransposed:
      logical = empty(backend, {cols, rows}, spec.dtype, "input").T();
      break;
    case Layout::kSliced:  // inside a larger matrix: offset and padded row stride
      logical = empty(backend, {rows + 3, cols + 2}, spec.dtype, "input").rows(2, rows + 2).cols(1, cols + 1);
      break;
  }
  logical.set(values);
  return logical;
}

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

// The case's result on `backend`: its own run, or the op-tree assigned into a guarded output.
std::vector<double> Evaluate(Backend& backend, const Case& test_case, const std::vector<std::vector<double>>& values,
                             bool strided_output, std::string& damage) {
  if (test_case.run) return test_case.run(backend);
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < test_case.inputs.size(); ++i) {
    inputs.push_back(MakeInput(backend, test_case.inputs[i], values[i]));
  }
  Expr value = test_case.build(inputs);
  GuardedOutput out = MakeOutput(backend, value.shape(), test_case.output_dtype, strided_output);
  if (test_case.uses_rand) SetSeed(backend, 20261124);
  out.view.assign(value);
  damage = SentinelDamage(out);
  return out.view.get<double>();
}

}  // namespace

CaseResult RunCase(const std::vector<Case>& cases, size_t index, Backend& device, Backend& reference) {
  const Case& test_case = cases[index];
  CaseResult result;
  if (!SupportsCase(device, test_case)) {
    result.skipped = true;
    result.message = "float64 case on a device without float64";
    return result;
  }
  std::vector<std::vector<double>> values;
  for (size_t i = 0; i < test_case.inputs.size(); ++i) {
    values.push_back(DrawValues(test_case.inputs[i], static_cast<uint32_t>(index * 31 + i)));
  }
  const bool strided_output = index % 2 == 1;
  std::string reference_damage;
  std::vector<double> expected = Evaluate(reference, test_case, values, strided_output, reference_damage);
  if (!reference_damage.empty()) throw BackendError("reference: " + reference_damage);
  std::vector<double> actual;
  const auto start = std::chrono::steady_clock::now();
  try {
    actual = Evaluate(device, test_case, values, strided_output, result.sentinel_damage);
  } catch (const std::exception& error) {
    result.ok = false;
    result.message = std::string("threw: ") + error.what();
    return result;
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  Comparison comparison = CompareResults(expected, actual, test_case.tolerance, test_case.max_relative_error);
  result.nmse = comparison.nmse;
  result.nonfinite_mismatch = comparison.nonfinite_mismatch;
  result.ok = comparison.ok && result.sentinel_damage.empty();
  result.message = !result.sentinel_damage.empty() ? result.sentinel_damage : comparison.message;
  return result;
}

}  // namespace neon::conformance
