// Cases that call Backend::fill_random directly (the compiler's rand() goes through fused
// kernels instead, so nothing else would): each distribution in float32 and float64, into
// strided views of a sentinel-filled buffer, at nonzero stream offsets. The whole buffer
// is compared bit for bit, so a write outside the view fails too.
#include <vector>

#include "tests/conformance.h"

namespace neon::conformance {

namespace {

// How the destination view lies in its buffer.
enum class FillView { kRowMajorWindow, kTransposedWindow };

struct FillCase {
  const char* name;
  Distribution distribution;
  double a;
  double b;
  DType dtype;
  FillView view;
  uint64_t counter_offset;
};

std::vector<double> RunFill(Backend& backend, const FillCase& fill) {
  constexpr int64_t kRows = 33, kCols = 47;
  const bool transposed = fill.view == FillView::kTransposedWindow;
  // Stored (rows + 2) x (cols + 3) with the view at (1, 1), or the transpose of that.
  const int64_t stored_rows = transposed ? kCols + 3 : kRows + 2;
  const int64_t stored_cols = transposed ? kRows + 2 : kCols + 3;
  Tensor whole = full(backend, {stored_rows, stored_cols}, -12345.5, fill.dtype, "guarded");
  RandomArgs args;
  args.rows = kRows;
  args.cols = kCols;
  args.distribution = fill.distribution;
  args.a = fill.a;
  args.b = fill.b;
  args.seed = 0x9E3779B97F4A7C15ull;  // both key halves nonzero
  args.counter_offset = fill.counter_offset;
  args.dst = {whole.buffer().get(), stored_cols + 1, transposed ? 1 : stored_cols, transposed ? stored_cols : 1,
              fill.dtype};
  backend.fill_random(args);
  return whole.get<double>();
}

}  // namespace

void AddRandomFillCases(std::vector<Case>& cases) {
  const FillCase fills[] = {
      {"uniform", Distribution::kUniform, -3.0, 5.0, DType::kFloat32, FillView::kRowMajorWindow, 1000003},
      {"uniform", Distribution::kUniform, -3.0, 5.0, DType::kFloat64, FillView::kRowMajorWindow, 7},
      {"normal", Distribution::kNormal, 1.0, 0.5, DType::kFloat32, FillView::kRowMajorWindow, 99},
      {"normal", Distribution::kNormal, 1.0, 0.5, DType::kFloat64, FillView::kRowMajorWindow, (1ull << 33) + 1},
      {"bernoulli", Distribution::kBernoulli, 0.3, 0.0, DType::kFloat32, FillView::kRowMajorWindow, 5},
      {"bernoulli", Distribution::kBernoulli, 0.7, 0.0, DType::kFloat64, FillView::kRowMajorWindow, 4097},
      {"uniform_transposed", Distribution::kUniform, 0.0, 1.0, DType::kFloat32, FillView::kTransposedWindow, 3},
      {"normal_transposed", Distribution::kNormal, 0.0, 1.0, DType::kFloat64, FillView::kTransposedWindow, 11},
  };
  for (const FillCase& fill : fills) {
    Case test_case;
    test_case.name = std::string("fill_random_") + fill.name + "_" + std::string(DTypeName(fill.dtype));
    test_case.output_dtype = fill.dtype;
    test_case.tolerance = 0;  // Philox is bit-identical everywhere
    test_case.run = [fill](Backend& backend) { return RunFill(backend, fill); };
    cases.push_back(std::move(test_case));
  }
}

}  // namespace neon::conformance
