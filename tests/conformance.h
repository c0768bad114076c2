// The cross-device conformance suite: each case builds an op-tree over inputs
// made from the same host data on two backends, assigns it on both, and
// compares the backend under test with `reference`. Adding an op adds a case.
// This one case registry feeds the GoogleTest suites and `neon check`.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "backends/compare.h"
#include "core/error.h"
#include "graph/expr.h"

namespace neon::conformance {

// How an input is laid out in memory: all three present the same logical values.
enum class Layout { kPlain, kTransposed, kSliced };

// How input values are drawn.
struct Domain {
  double low = -2.0;
  double high = 2.0;
  bool integers = false;  // round to whole numbers (ties for comparisons and argmax)
  bool specials = false;  // put NaN, +-Inf, +-0 at fixed positions
  bool range_limits = false;  // every value is one of RangeLimitValues(), in order, cyclically
};

// Special and range-limit values: NaN, +-inf, +-0, denormals, the smallest normal and largest
// finite floats, and values whose exponent lies beyond the float range (as shift amounts).
const std::vector<double>& RangeLimitValues();

struct InputSpec {
  Shape shape;
  DType dtype = DType::kFloat32;
  Domain domain;
  Layout layout = Layout::kPlain;
};

struct Case {
  std::string name;
  std::vector<InputSpec> inputs;
  std::function<Expr(const std::vector<Tensor>&)> build;
  DType output_dtype = DType::kFloat32;
  // NMSE limit: mse(ref, dev) / mse(ref, 0) over finite positions.
  double tolerance = 1e-7;
  // Draw rand() from the same seed on both backends before evaluating.
  bool uses_rand = false;
  // When > 0, each element is checked too (see CompareResults), not only the NMSE.
  double max_relative_error = 0;
  // The table `neon check` reports it in ("unary", "binary", ...), set by the registry.
  std::string family = "";
  // Instead of inputs + build: the whole case run on a backend, giving host values to compare
  // (random fills and gradients, which are not one assignment).
  std::function<std::vector<double>(Backend&)> run = nullptr;
};

// One backend per spec for the whole test program (devices are expensive to open).
Backend& SharedBackend(const std::string& spec);


// Whether `backend` can run the case: a device without float64 is asked only for the others.
bool SupportsCase(Backend& backend, const Case& test_case);

// Every case, built once.
const std::vector<Case>& AllCases();

// The inputs of `spec` made from `values` (row-major over the logical shape) on `backend`.
Tensor MakeInput(Backend& backend, const InputSpec& spec, const std::vector<double>& values);

// Deterministic host values for an input.
std::vector<double> DrawValues(const InputSpec& spec, uint32_t seed);

// The outcome of one case on one backend.
struct CaseResult {
  bool ok = true;
  bool skipped = false;          // a float64 case on a device without float64
  std::string message;           // what differed, when not ok
  double nmse = 0.0;
  bool nonfinite_mismatch = false;
  std::string sentinel_damage;   // a write outside the output, when there was one
  double seconds = 0.0;          // on the device under test
};

// Runs case `index` of `cases` on `device` and on `reference` and compares them. Errors the
// device throws are a failed case; errors of the reference propagate.
CaseResult RunCase(const std::vector<Case>& cases, size_t index, Backend& device, Backend& reference);

// The random-fill cases: each distribution, float32 and float64, strided views, nonzero stream offsets.
void AddRandomFillCases(std::vector<Case>& cases);

// 1 when `call` throws ArgumentError (the contract), 0 when the bad call is accepted.
template <typename Call>
std::vector<double> Rejects(Call call) {
  try {
    call();
  } catch (const ArgumentError&) {
    return {1.0};
  }
  return {0.0};
}

// The batch-norm backend ops called directly, each result on its own (tests/batch_norm_cases.cc).
void AddBatchNormCases(std::vector<Case>& cases);

// Rules ordinary assignments do not reach: GEMM with NaN in C, batches, rint halves, empty axes,
// a second rand() draw, argument validation.
void AddContractCases(std::vector<Case>& cases);

// Every case `neon check` runs: AllCases(), every gradient case in float32 and float64, and
// every layer and cost case in float32.
const std::vector<Case>& CheckCases();

}  // namespace neon::conformance
