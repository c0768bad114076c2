#include "backends/reference/reference_backend.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "backends/host_buffer.h"
#include "core/error.h"
#include "core/philox.h"

namespace neon {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kE = 2.718281828459045;

// ---- building kernels by hand ----

Instr In(int slot) { return {OpKind::kTensor, -1, -1, slot}; }
Instr Param(int slot) { return {OpKind::kScalar, -1, -1, slot}; }
Instr Op(OpKind op, int a, int b = -1) { return {op, a, b, -1}; }
Instr Leaf(OpKind op) { return {op, -1, -1, -1}; }

FusedKernel Kernel(std::vector<DType> inputs, DType output, std::vector<Instr> body,
                   int num_params = 0) {
  FusedKernel kernel;
  kernel.input_dtypes = std::move(inputs);
  kernel.output_dtype = output;
  bool all_float32 = output == DType::kFloat32;
  for (DType dtype : kernel.input_dtypes) all_float32 = all_float32 && dtype == DType::kFloat32;
  kernel.compute_dtype = all_float32 ? DType::kFloat32 : DType::kFloat64;
  kernel.body = std::move(body);
  kernel.num_params = num_params;
  return kernel;
}

FusedKernel Reduce(FusedKernel kernel, OpKind op, int axis, std::vector<Instr> epilogue = {}) {
  kernel.has_reduction = true;
  kernel.reduce_op = op;
  kernel.reduce_axis = axis;
  kernel.epilogue = std::move(epilogue);
  return kernel;
}

class ReferenceBackendTest : public ::testing::Test {
 protected:
  template <typename T>
  std::shared_ptr<Buffer> Upload(const std::vector<T>& values) {
    auto buffer = be_.allocate(values.size() * sizeof(T));
    be_.copy_in(*buffer, 0, values.data(), values.size() * sizeof(T));
    return buffer;
  }
  template <typename T>
  std::vector<T> Download(const std::shared_ptr<Buffer>& buffer) {
    std::vector<T> values(buffer->size_bytes() / sizeof(T));
    be_.copy_out(*buffer, 0, values.data(), buffer->size_bytes());
    return values;
  }
  // A dense row-major (rows x cols) view, or any strides given.
  static TensorRef Ref(const std::shared_ptr<Buffer>& buffer, int64_t row_stride,
                       int64_t col_stride, DType dtype = DType::kFloat64, int64_t offset = 0) {
    return {buffer.get(), offset, row_stride, col_stride, dtype};
  }

  // Runs a one-input float64 kernel over a 1 x n row and returns the row.
  std::vector<double> RunRow(const FusedKernel& kernel, std::vector<std::vector<double>> inputs,
                             std::vector<double> params = {}) {
    KernelArgs args;
    args.rows = 1;
    args.cols = static_cast<int64_t>(inputs[0].size());
    std::vector<std::shared_ptr<Buffer>> keep;
    for (const auto& input : inputs) {
      keep.push_back(Upload(input));
      args.inputs.push_back(Ref(keep.back(), args.cols, 1));
    }
    auto out = Upload(std::vector<double>(args.cols, -12345.0));
    args.output = Ref(out, args.cols, 1);
    args.params = std::move(params);
    be_.run(kernel, args);
    return Download<double>(out);
  }

  ReferenceBackend be_;
};

// Equal as doubles, NaN matching NaN and the sign of zero and infinity respected.
void ExpectValues(const std::vector<double>& actual, const std::vector<double>& expected,
                  const char* what) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  for (size_t e = 0; e < expected.size(); ++e) {
    if (std::isnan(expected[e])) {
      EXPECT_TRUE(std::isnan(actual[e])) << what << " element " << e << " = " << actual[e];
    } else if (std::isinf(expected[e]) || expected[e] == 0) {
      EXPECT_EQ(actual[e], expected[e]) << what << " element " << e;
      EXPECT_EQ(std::signbit(actual[e]), std::signbit(expected[e])) << what << " element " << e;
    } else {
      EXPECT_DOUBLE_EQ(actual[e], expected[e]) << what << " element " << e;
    }
  }
}

TEST_F(ReferenceBackendTest, Info) {
  const DeviceInfo& info = be_.info();
  EXPECT_EQ(info.name, "reference");
  EXPECT_EQ(info.kind, "reference");
  EXPECT_EQ(info.description, "plain loops in float64 (the oracle)");
  EXPECT_GT(info.memory_bytes, uint64_t{1} << 28);
  EXPECT_EQ(info.compute_units, 1);
  EXPECT_TRUE(info.supports_float64);
  EXPECT_EQ(MakeReferenceBackend()->info().name, "reference");
}

struct UnaryCase {
  OpKind op;
  std::vector<double> x, expected;
};

TEST_F(ReferenceBackendTest, EveryUnaryOp) {
  const std::vector<UnaryCase> cases = {
      {OpKind::kFinite, {1, kInf, -kInf, kNaN, -0.0}, {1, 0, 0, 0, 1}},
      {OpKind::kNeg, {1.5, 0.0, -kInf, kNaN}, {-1.5, -0.0, kInf, kNaN}},
      {OpKind::kAbs, {-2, 3, -0.0, -kInf, kNaN}, {2, 3, 0, kInf, kNaN}},
      {OpKind::kSgn, {-3, 0, 2, kInf, kNaN}, {-1, 0, 1, 1, kNaN}},
      {OpKind::kSqrt, {4, 2.25, -1, kInf, kNaN}, {2, 1.5, kNaN, kInf, kNaN}},
      {OpKind::kSqr, {-3, 0.5, -kInf, kNaN}, {9, 0.25, kInf, kNaN}},
      {OpKind::kExp, {0, 1, -kInf, kInf, kNaN}, {1, kE, 0, kInf, kNaN}},
      {OpKind::kLog, {1, kE, 0, -1, kInf}, {0, 1, -kInf, kNaN, kInf}},
      {OpKind::kExp2, {3, -1, 0.5, -kInf}, {8, 0.5, 1.4142135623730951, 0}},
      {OpKind::kLog2, {8, 0.25, 0, -2}, {3, -2, -kInf, kNaN}},
      {OpKind::kSig, {0, 2, kInf, -kInf, kNaN}, {0.5, 0.8807970779778823, 1, 0, kNaN}},
      {OpKind::kSig2, {0, 1, -1, kInf, -kInf}, {0.5, 2.0 / 3.0, 1.0 / 3.0, 1, 0}},
      {OpKind::kTanh, {0, 1, kInf, -kInf, kNaN}, {0, 0.7615941559557649, 1, -1, kNaN}},
      // tanh2(x) = (2^2x - 1) / (2^2x + 1): x = 0.5 gives 1/3, x = 1 gives 3/5.
      {OpKind::kTanh2, {0, 0.5, 1, -1, kInf}, {0, 1.0 / 3.0, 0.6, -0.6, 1}},
      // safelog clamps at -50: zero, negatives and tiny values give -50, never -inf.
      {OpKind::kSafelog,
       {0, 1, kE, -1, 1e-20, 1e-30, kNaN, kInf},
       {-50, 0, 1, -50, std::log(1e-20), -50, kNaN, kInf}},
      // rint rounds halves to even.
      {OpKind::kRint,
       {0.5, 1.5, 2.5, -0.5, -1.5, 2.4, -2.6, kNaN},
       {0, 2, 2, -0.0, -2, 2, -3, kNaN}},
      {OpKind::kBinarize, {0, -0.1, 3, -kInf, kNaN}, {1, -1, 1, -1, kNaN}},
  };
  int tested = 0;
  for (const UnaryCase& c : cases) {
    FusedKernel kernel = Kernel({DType::kFloat64}, DType::kFloat64, {In(0), Op(c.op, 0)});
    ExpectValues(RunRow(kernel, {c.x}), c.expected, OpName(c.op).data());
    ++tested;
  }
  int unary_ops = 0;
  for (int op = 0; op < kNumOpKinds; ++op)
    unary_ops += ClassOf(static_cast<OpKind>(op)) == OpClass::kUnary;
  EXPECT_EQ(tested, unary_ops) << "every unary op needs a case";
}

struct BinaryCase {
  OpKind op;
  std::vector<double> x, y, expected;
};

TEST_F(ReferenceBackendTest, EveryBinaryOp) {
  const std::vector<BinaryCase> cases = {
      {OpKind::kAdd, {1, kInf, kNaN, 0.5}, {2, -kInf, 1, kInf}, {3, kNaN, kNaN, kInf}},
      {OpKind::kSub, {5, kInf, 1}, {3, kInf, kNaN}, {2, kNaN, kNaN}},
      {OpKind::kMul, {2, 0, -3, kNaN}, {3, kInf, kInf, 0}, {6, kNaN, -kInf, kNaN}},
      {OpKind::kDiv, {1, 1, -1, 0, 6}, {4, 0, 0, 0, kInf}, {0.25, kInf, -kInf, kNaN, 0}},
      {OpKind::kEq, {1, kNaN, 2, 0.0}, {1, kNaN, 3, -0.0}, {1, 0, 0, 1}},
      {OpKind::kNe, {1, kNaN, 2, 0.0}, {1, kNaN, 3, -0.0}, {0, 1, 1, 0}},
      {OpKind::kLt, {1, 2, kNaN, 3}, {2, 2, 1, kNaN}, {1, 0, 0, 0}},
      {OpKind::kLe, {1, 2, kNaN, 3}, {2, 2, 1, kNaN}, {1, 1, 0, 0}},
      {OpKind::kGt, {3, 2, kNaN, 1}, {2, 2, 1, kNaN}, {1, 0, 0, 0}},
      {OpKind::kGe, {3, 2, kNaN, 1}, {2, 2, 1, kNaN}, {1, 1, 0, 0}},
      // C pow: negative bases with integer exponents work, with fractional ones give NaN.
      {OpKind::kPow,
       {2, -2, -2, -8, -2, 0, kNaN, 4},
       {3, 2, 3, 1.0 / 3.0, 0.5, 0, 0, -0.5},
       {8, 4, -8, kNaN, kNaN, 1, 1, 0.5}},
      {OpKind::kMinimum, {1, 3, kNaN, 1, -0.5}, {2, 2, 1, kNaN, -kInf}, {1, 2, kNaN, kNaN, -kInf}},
      {OpKind::kMaximum, {1, 3, kNaN, 1, -0.5}, {2, 2, 1, kNaN, kInf}, {2, 3, kNaN, kNaN, kInf}},
      // shift(x, y) = x * 2^y.
      {OpKind::kShift,
       {3, 1, -1, 5, kNaN},
       {2, -1, 0, 0.5, 1},
       {12, 0.5, -1, 5 * std::sqrt(2.0), kNaN}},
  };
  int tested = 0;
  for (const BinaryCase& c : cases) {
    FusedKernel kernel =
        Kernel({DType::kFloat64, DType::kFloat64}, DType::kFloat64, {In(0), In(1), Op(c.op, 0, 1)});
    ExpectValues(RunRow(kernel, {c.x, c.y}), c.expected, OpName(c.op).data());
    ++tested;
  }
  int binary_ops = 0;
  for (int op = 0; op < kNumOpKinds; ++op)
    binary_ops += ClassOf(static_cast<OpKind>(op)) == OpClass::kBinary;
  EXPECT_EQ(tested, binary_ops) << "every binary op needs a case";
}

TEST_F(ReferenceBackendTest, ChainOfInstructionsAndScalarParams) {
  // (x + p0) * x - p1, reusing register 0 twice.
  FusedKernel kernel = Kernel({DType::kFloat64}, DType::kFloat64,
                              {In(0), Param(0), Op(OpKind::kAdd, 0, 1), Op(OpKind::kMul, 2, 0),
                               Param(1), Op(OpKind::kSub, 3, 4)},
                              2);
  ExpectValues(RunRow(kernel, {{1, 2, -3}}, {10, 0.5}), {10.5, 23.5, -21.5}, "chain");
}

TEST_F(ReferenceBackendTest, BroadcastInputsWithStrideZero) {
  // out (2 x 3) = row(1 x 3) + col(2 x 1) * full(2 x 3)
  auto row = Upload<double>({1, 2, 3});
  auto col = Upload<double>({10, 100});
  auto full = Upload<double>({1, 2, 3, 4, 5, 6});
  auto out = Upload(std::vector<double>(6, 0));
  KernelArgs args{2, 3, {Ref(row, 0, 1), Ref(col, 1, 0), Ref(full, 3, 1)}, Ref(out, 3, 1), {}};
  FusedKernel kernel =
      Kernel({DType::kFloat64, DType::kFloat64, DType::kFloat64}, DType::kFloat64,
             {In(0), In(1), In(2), Op(OpKind::kMul, 1, 2), Op(OpKind::kAdd, 0, 3)});
  be_.run(kernel, args);
  ExpectValues(Download<double>(out), {11, 22, 33, 401, 502, 603}, "broadcast");
}

TEST_F(ReferenceBackendTest, StridedTransposedAndReversedInputs) {
  // Stored 3 x 2 [[1, 2], [3, 4], [5, 6]], read as its 2 x 3 transpose [[1, 3, 5], [2, 4, 6]].
  auto stored = Upload<double>({1, 2, 3, 4, 5, 6});
  // Read backwards along columns from offset 2 of [7, 8, 9]: [9, 8, 7] on each row.
  auto reversed = Upload<double>({7, 8, 9});
  auto out = Upload(std::vector<double>(8, -1));
  // Output written with row stride 4, leaving a gap column untouched.
  KernelArgs args{
      2, 3, {Ref(stored, 1, 2), Ref(reversed, 0, -1, DType::kFloat64, 2)}, Ref(out, 4, 1), {}};
  FusedKernel kernel = Kernel({DType::kFloat64, DType::kFloat64}, DType::kFloat64,
                              {In(0), Leaf(OpKind::kColIndex), In(1), Op(OpKind::kMul, 0, 2)});
  be_.run(kernel, args);
  ExpectValues(Download<double>(out), {9, 24, 35, -1, 18, 32, 42, -1}, "transposed times reversed");
}

TEST_F(ReferenceBackendTest, RowAndColumnIndex) {
  auto out = Upload(std::vector<double>(6, 0));
  FusedKernel kernel = Kernel({}, DType::kFloat64,
                              {Leaf(OpKind::kRowIndex), Param(0), Op(OpKind::kMul, 0, 1),
                               Leaf(OpKind::kColIndex), Op(OpKind::kAdd, 2, 3)},
                              1);
  be_.run(kernel, KernelArgs{3, 2, {}, Ref(out, 2, 1), {10}});
  ExpectValues(Download<double>(out), {0, 1, 10, 11, 20, 21}, "10 i + j");
}

struct ReduceCase {
  OpKind op;
  int axis;
  std::vector<double> expected;
};

TEST_F(ReferenceBackendTest, EveryReductionOnEveryAxis) {
  // [[1, 5, 3], [4, 2, 6]]
  auto x = Upload<double>({1, 5, 3, 4, 2, 6});
  // clang-format off
  const std::vector<ReduceCase> cases = {
      {OpKind::kSum, 0, {5, 7, 9}},    {OpKind::kSum, 1, {9, 12}},    {OpKind::kSum, kAllAxes, {21}},
      {OpKind::kMax, 0, {4, 5, 6}},    {OpKind::kMax, 1, {5, 6}},     {OpKind::kMax, kAllAxes, {6}},
      {OpKind::kMin, 0, {1, 2, 3}},    {OpKind::kMin, 1, {1, 2}},     {OpKind::kMin, kAllAxes, {1}},
      {OpKind::kArgmax, 0, {1, 0, 1}}, {OpKind::kArgmax, 1, {1, 2}},  {OpKind::kArgmax, kAllAxes, {5}},
      {OpKind::kArgmin, 0, {0, 1, 0}}, {OpKind::kArgmin, 1, {0, 1}},  {OpKind::kArgmin, kAllAxes, {0}},
  };
  // clang-format on
  for (const ReduceCase& c : cases) {
    auto out = Upload(std::vector<double>(c.expected.size(), -7));
    // Output (1, 3) for axis 0 is a row; (2, 1) for axis 1 a column.
    const TensorRef out_ref = c.axis == 0 ? Ref(out, 0, 1) : Ref(out, 1, 0);
    FusedKernel kernel = Reduce(Kernel({DType::kFloat64}, DType::kFloat64, {In(0)}), c.op, c.axis);
    be_.run(kernel, KernelArgs{2, 3, {Ref(x, 3, 1)}, out_ref, {}});
    ExpectValues(Download<double>(out), c.expected,
                 (std::string(OpName(c.op)) + " axis " + std::to_string(c.axis)).c_str());
  }
}

TEST_F(ReferenceBackendTest, ReductionOfAComputedBody) {
  // sum over axis 1 of x^2 for [[1, 2], [3, 4]] -> [5, 25].
  auto x = Upload<double>({1, 2, 3, 4});
  auto out = Upload(std::vector<double>(2, 0));
  FusedKernel kernel = Reduce(
      Kernel({DType::kFloat64}, DType::kFloat64, {In(0), Op(OpKind::kSqr, 0)}), OpKind::kSum, 1);
  be_.run(kernel, KernelArgs{2, 2, {Ref(x, 2, 1)}, Ref(out, 1, 0), {}});
  ExpectValues(Download<double>(out), {5, 25}, "sum of squares");
}

TEST_F(ReferenceBackendTest, ArgmaxArgminTiesAndNaN) {
  // Rows of a 5 x 4 matrix, reduced along axis 1.
  // clang-format off
  auto x = Upload<double>({1, 3, 3, 2,           // tie for max at 1, 2
                           2, 1, 1, 5,           // tie for min at 1, 2
                           1, kNaN, 5, kNaN,     // first NaN wins both ways
                           kNaN, 5, -kInf, 7,    // NaN first
                           -kInf, -kInf, kInf, kInf});
  // clang-format on
  auto run = [&](OpKind op) {
    auto out = Upload(std::vector<double>(5, -7));
    be_.run(Reduce(Kernel({DType::kFloat64}, DType::kFloat64, {In(0)}), op, 1),
            KernelArgs{5, 4, {Ref(x, 4, 1)}, Ref(out, 1, 0), {}});
    return Download<double>(out);
  };
  ExpectValues(run(OpKind::kArgmax), {1, 3, 1, 0, 2}, "argmax");
  ExpectValues(run(OpKind::kArgmin), {0, 1, 1, 0, 0}, "argmin");
  ExpectValues(run(OpKind::kMax), {3, 5, kNaN, kNaN, kInf}, "max propagates NaN");
  ExpectValues(run(OpKind::kMin), {1, 1, kNaN, kNaN, -kInf}, "min propagates NaN");
  ExpectValues(run(OpKind::kSum), {9, 9, kNaN, kNaN, kNaN}, "sum");
}

TEST_F(ReferenceBackendTest, ArgmaxOverAllAxesGivesTheLinearIndex) {
  auto x = Upload<double>({1, 9, 3, 4, 9, 6});  // tie: the first 9 wins
  auto out = Upload(std::vector<int32_t>(1, -7));
  be_.run(Reduce(Kernel({DType::kFloat64}, DType::kInt32, {In(0)}), OpKind::kArgmax, kAllAxes),
          KernelArgs{2, 3, {Ref(x, 3, 1)}, Ref(out, 0, 0, DType::kInt32), {}});
  EXPECT_EQ(Download<int32_t>(out), std::vector<int32_t>{1});
}

TEST_F(ReferenceBackendTest, EpilogueReadsAnInputAtTheOutputPosition) {
  // out[i] = sum_j x[i, j] / d[i] + p0 * i: a row mean plus a row-index term.
  auto x = Upload<double>({1, 2, 3, 4, 5, 6});
  auto d = Upload<double>({3, 2});
  auto out = Upload(std::vector<double>(2, 0));
  FusedKernel kernel = Reduce(
      Kernel({DType::kFloat64, DType::kFloat64}, DType::kFloat64, {In(0)}, 1), OpKind::kSum, 1,
      {Leaf(OpKind::kReduced), In(1), Op(OpKind::kDiv, 0, 1), Param(0), Leaf(OpKind::kRowIndex),
       Op(OpKind::kMul, 3, 4), Op(OpKind::kAdd, 2, 5)});
  be_.run(kernel, KernelArgs{2, 3, {Ref(x, 3, 1), Ref(d, 1, 0)}, Ref(out, 1, 0), {100}});
  ExpectValues(Download<double>(out), {2, 107.5}, "epilogue");
}

TEST_F(ReferenceBackendTest, Int32AndFloat64InputsAndOutputs) {
  // int32 + float64 -> float64.
  auto i = Upload<int32_t>({-3, 7, 2147483647});
  auto f = Upload<double>({0.25, 0.5, 0.5});
  auto out = Upload(std::vector<double>(3, 0));
  be_.run(Kernel({DType::kInt32, DType::kFloat64}, DType::kFloat64,
                 {In(0), In(1), Op(OpKind::kAdd, 0, 1)}),
          KernelArgs{1, 3, {Ref(i, 3, 1, DType::kInt32), Ref(f, 3, 1)}, Ref(out, 3, 1), {}});
  ExpectValues(Download<double>(out), {-2.75, 7.5, 2147483647.5}, "int32 + float64");

  // float64 -> int32: truncate toward zero, saturate, NaN -> 0.
  auto g = Upload<double>({2.7, -2.7, 1e10, -1e10, kNaN, -kInf, 0.999});
  auto ints = Upload(std::vector<int32_t>(7, 99));
  be_.run(Kernel({DType::kFloat64}, DType::kInt32, {In(0)}),
          KernelArgs{1, 7, {Ref(g, 7, 1)}, Ref(ints, 7, 1, DType::kInt32), {}});
  EXPECT_EQ(Download<int32_t>(ints),
            (std::vector<int32_t>{2, -2, 2147483647, -2147483647 - 1, 0, -2147483647 - 1, 0}));

  // float32 -> float64 exactly; float64 -> float32 rounds to nearest.
  auto f32 = Upload<float>({0.1f, 16777217.0f});
  auto wide = Upload(std::vector<double>(2, 0));
  be_.run(Kernel({DType::kFloat32}, DType::kFloat64, {In(0)}),
          KernelArgs{1, 2, {Ref(f32, 2, 1, DType::kFloat32)}, Ref(wide, 2, 1), {}});
  ExpectValues(Download<double>(wide), {static_cast<double>(0.1f), 16777216.0},
               "float32 -> float64");
  auto narrow = Upload(std::vector<float>(2, 0));
  auto d = Upload<double>({0.1, 1.0 + 1e-12});
  be_.run(Kernel({DType::kFloat64}, DType::kFloat32, {In(0)}),
          KernelArgs{1, 2, {Ref(d, 2, 1)}, Ref(narrow, 2, 1, DType::kFloat32), {}});
  EXPECT_EQ(Download<float>(narrow), (std::vector<float>{0.1f, 1.0f}));
}

TEST_F(ReferenceBackendTest, Float32KernelComputesInDouble) {
  // 2^24 + 1 - 2^24 is 1 in double but 0 if rounded to float32 in between.
  auto x = Upload<float>({16777216.0f});
  auto out = Upload(std::vector<float>(1, -1));
  be_.run(
      Kernel({DType::kFloat32}, DType::kFloat32,
             {In(0), Param(0), Op(OpKind::kAdd, 0, 1), Op(OpKind::kSub, 2, 0)}, 1),
      KernelArgs{1, 1, {Ref(x, 1, 1, DType::kFloat32)}, Ref(out, 1, 1, DType::kFloat32), {1.0}});
  EXPECT_EQ(Download<float>(out)[0], 1.0f);
}

TEST_F(ReferenceBackendTest, OutputMayAliasAnInputWithIdenticalIndexing) {
  // x = 2 x + 1 in place.
  auto x = Upload<double>({1, 2, 3, 4});
  be_.run(Kernel({DType::kFloat64}, DType::kFloat64,
                 {In(0), Param(0), Op(OpKind::kMul, 0, 1), Param(1), Op(OpKind::kAdd, 2, 3)}, 2),
          KernelArgs{2, 2, {Ref(x, 2, 1)}, Ref(x, 2, 1), {2, 1}});
  ExpectValues(Download<double>(x), {3, 5, 7, 9}, "in place");

  // y[i] = sum_j m[i, j] + y[i]: the output is also an epilogue input.
  auto m = Upload<double>({1, 2, 3, 4, 5, 6});
  auto y = Upload<double>({10, 20});
  be_.run(Reduce(Kernel({DType::kFloat64, DType::kFloat64}, DType::kFloat64, {In(0)}), OpKind::kSum,
                 1, {Leaf(OpKind::kReduced), In(1), Op(OpKind::kAdd, 0, 1)}),
          KernelArgs{2, 3, {Ref(m, 3, 1), Ref(y, 1, 0)}, Ref(y, 1, 0), {}});
  ExpectValues(Download<double>(y), {16, 35}, "reduction in place");
}

TEST_F(ReferenceBackendTest, RandInstructionMatchesPhilox) {
  auto out = Upload(std::vector<double>(12, -1));
  const uint64_t key = 0x0000000500000007ull;  // low half 7, high half 5
  be_.run(Kernel({}, DType::kFloat64, {{OpKind::kRand, -1, -1, 1}}, 4),
          KernelArgs{3, 4, {}, Ref(out, 4, 1), {-99, 7, 5, 1000}});
  std::vector<double> expected;
  for (uint64_t position = 1000; position < 1012; ++position) {
    expected.push_back(philox::Uniform(philox::Bits(key, position)));
  }
  EXPECT_EQ(Download<double>(out), expected);
  for (double value : expected) EXPECT_TRUE(value >= 0 && value < 1);
}

TEST_F(ReferenceBackendTest, RejectsBadArguments) {
  auto x = Upload<double>({1, 2, 3, 4, 5, 6});
  auto out = Upload(std::vector<double>(6, 0));
  const FusedKernel copy = Kernel({DType::kFloat64}, DType::kFloat64, {In(0)});
  const KernelArgs good{2, 3, {Ref(x, 3, 1)}, Ref(out, 3, 1), {}};
  be_.run(copy, good);

  auto expect_error = [&](const FusedKernel& kernel, KernelArgs args, const char* what) {
    EXPECT_THROW(be_.run(kernel, args), ArgumentError) << what;
  };
  KernelArgs args = good;
  args.inputs.push_back(Ref(x, 3, 1));
  expect_error(copy, args, "too many inputs");
  args = good;
  args.params = {1.0};
  expect_error(copy, args, "unexpected param");
  args = good;
  args.inputs[0].dtype = DType::kFloat32;
  expect_error(copy, args, "input dtype differs from the kernel's");
  args = good;
  args.output.buffer = nullptr;
  expect_error(copy, args, "null output");

  // Views that leave their buffer.
  args = good;
  args.rows = 3;
  expect_error(copy, args, "input and output one row too long");
  args = good;
  args.inputs[0].offset = 1;
  expect_error(copy, args, "input shifted past the end");
  args = good;
  args.inputs[0].col_stride = -1;
  expect_error(copy, args, "negative stride reaching below element 0");
  args = good;
  args.output.row_stride = 4;
  expect_error(copy, args, "output stride past the end");
  auto small = Upload<double>({1, 2});
  args = good;
  args.output = Ref(small, 3, 1);
  try {
    be_.run(copy, args);
    ADD_FAILURE() << "expected ArgumentError";
  } catch (const ArgumentError& error) {
    EXPECT_NE(std::string(error.what()).find("16 bytes"), std::string::npos) << error.what();
  }

  // A buffer of another backend.
  ReferenceBackend other;
  auto foreign = other.allocate(6 * sizeof(double));
  args = good;
  args.inputs[0].buffer = foreign.get();
  expect_error(copy, args, "foreign buffer");

  // Malformed programs.
  expect_error(Kernel({DType::kFloat64}, DType::kFloat64, {In(0), Op(OpKind::kNeg, 1)}), good,
               "operand refers forward");
  expect_error(Kernel({DType::kFloat64}, DType::kFloat64, {In(1)}), good,
               "input slot out of range");
  expect_error(Kernel({DType::kFloat64}, DType::kFloat64, {Leaf(OpKind::kReduced)}), good,
               "reduced value in the body");
  expect_error(Kernel({DType::kFloat64}, DType::kFloat64, {}), good, "empty body");
  expect_error(Reduce(copy, OpKind::kAdd, 1), good, "add is no reduction");
  args = good;
  args.params = {0.5, 0, 0};
  expect_error(Kernel({DType::kFloat64}, DType::kFloat64, {{OpKind::kRand, -1, -1, 0}}, 3), args,
               "fractional Philox key");
  EXPECT_THROW(
      be_.run(Kernel({DType::kFloat64}, DType::kFloat64, {In(0), Op(OpKind::kDot, 0, 0)}), good),
      BackendError);
}

// ---- gemm ----

// Stores a rows x cols matrix with leading dimension ld at `offset`, NaN everywhere else, so a
// read of padding poisons the result.
std::vector<double> Padded(const std::vector<std::vector<double>>& matrix, int64_t ld,
                           int64_t offset, size_t total) {
  std::vector<double> stored(total, kNaN);
  for (size_t r = 0; r < matrix.size(); ++r) {
    for (size_t c = 0; c < matrix[r].size(); ++c) stored[offset + r * ld + c] = matrix[r][c];
  }
  return stored;
}

TEST_F(ReferenceBackendTest, GemmEveryTransposeWithLdOffsetAlphaBeta) {
  const std::vector<std::vector<double>> a = {{1, 2, 3}, {4, 5, 6}};       // 2 x 3
  const std::vector<std::vector<double>> a_t = {{1, 4}, {2, 5}, {3, 6}};   // stored transposed
  const std::vector<std::vector<double>> b = {{7, 8}, {9, 10}, {11, 12}};  // 3 x 2
  const std::vector<std::vector<double>> b_t = {{7, 9, 11}, {8, 10, 12}};
  // 2 A B + 0.5 C with A B = [[58, 64], [139, 154]] and C = [[1, 2], [3, 4]].
  const std::vector<double> expected_c = {116.5, 129, 279.5, 310};
  for (bool trans_a : {false, true}) {
    for (bool trans_b : {false, true}) {
      const auto& a_stored = trans_a ? a_t : a;
      const auto& b_stored = trans_b ? b_t : b;
      const int64_t lda = a_stored[0].size() + 2, ldb = b_stored[0].size() + 1;
      auto a_buf = Upload(Padded(a_stored, lda, 3, 3 + lda * a_stored.size()));
      auto b_buf = Upload(Padded(b_stored, ldb, 1, 1 + ldb * b_stored.size()));
      auto c_buf = Upload<double>({-9, -9, 1, 2, -9, 3, 4, -9});  // offset 2, ld 3
      GemmArgs args;
      args.dtype = DType::kFloat64;
      args.m = 2, args.n = 2, args.k = 3;
      args.alpha = 2, args.beta = 0.5;
      args.a = {a_buf.get(), 3, lda, trans_a, 0};
      args.b = {b_buf.get(), 1, ldb, trans_b, 0};
      args.c = {c_buf.get(), 2, 3, false, 0};
      be_.gemm(args);
      ExpectValues(
          Download<double>(c_buf),
          {-9, -9, expected_c[0], expected_c[1], -9, expected_c[2], expected_c[3], -9},
          (std::string("trans_a=") + (trans_a ? "1" : "0") + " trans_b=" + (trans_b ? "1" : "0"))
              .c_str());
    }
  }
}

TEST_F(ReferenceBackendTest, GemmBatchAndBetaZeroIgnoresNaN) {
  // Two batches: A0 = [[1, 2]], A1 = [[3, 4]] (1 x 2, batch_stride 2); B shared (batch_stride 0);
  // C with NaN in it and beta = 0.
  auto a = Upload<double>({1, 2, 3, 4});
  auto b = Upload<double>({1, 10, 100, 1000});  // 2 x 2: [[1, 10], [100, 1000]]
  auto c = Upload<double>({kNaN, kNaN, -1, kInf, kNaN, -1});
  GemmArgs args;
  args.dtype = DType::kFloat64;
  args.m = 1, args.n = 2, args.k = 2, args.batch = 2;
  args.alpha = 1, args.beta = 0;
  args.a = {a.get(), 0, 2, false, 2};
  args.b = {b.get(), 0, 2, false, 0};
  args.c = {c.get(), 0, 2, false, 3};
  be_.gemm(args);
  ExpectValues(Download<double>(c), {201, 2010, -1, 403, 4030, -1}, "batched, beta 0");
}

TEST_F(ReferenceBackendTest, GemmFloat32AndRejectsOtherDtypes) {
  auto a = Upload<float>({1, 2, 3, 4});
  auto b = Upload<float>({5, 6, 7, 8});
  auto c = Upload<float>({1, 1, 1, 1});
  GemmArgs args;
  args.dtype = DType::kFloat32;
  args.m = args.n = args.k = 2;
  args.beta = 1;
  args.a = {a.get(), 0, 2, true, 0};  // A^T = [[1, 3], [2, 4]]
  args.b = {b.get(), 0, 2, false, 0};
  args.c = {c.get(), 0, 2, false, 0};
  be_.gemm(args);
  EXPECT_EQ(Download<float>(c), (std::vector<float>{27, 31, 39, 45}));

  GemmArgs bad = args;
  bad.dtype = DType::kInt32;
  EXPECT_THROW(be_.gemm(bad), ArgumentError);
  bad = args;
  bad.k = 3;  // A and B too small for k = 3
  EXPECT_THROW(be_.gemm(bad), ArgumentError);
  bad = args;
  bad.c.ld = 1;  // rows would overlap
  EXPECT_THROW(be_.gemm(bad), ArgumentError);
  bad = args;
  bad.batch = 2;
  bad.c.batch_stride = 4;  // second C past the end
  EXPECT_THROW(be_.gemm(bad), ArgumentError);
  bad = args;
  bad.c.trans = true;
  EXPECT_THROW(be_.gemm(bad), ArgumentError);
}

// ---- fill_random ----

TEST_F(ReferenceBackendTest, FillRandomMatchesPhiloxElementForElement) {
  const uint64_t seed = 0x123456789abcdefull, offset = 77;
  const int64_t rows = 3, cols = 5;
  for (Distribution distribution :
       {Distribution::kUniform, Distribution::kNormal, Distribution::kBernoulli}) {
    for (DType dtype : {DType::kFloat32, DType::kFloat64}) {
      // Written through a transposed view: element (i, j) lands at j * rows + i.
      auto buffer = be_.allocate(rows * cols * SizeOf(dtype));
      RandomArgs args{
          {buffer.get(), 0, 1, rows, dtype}, rows, cols, distribution, 0.3, 2.5, seed, offset};
      if (distribution == Distribution::kUniform)
        args.a = 0.1, args.b = 0.7;  // float32 and float64 math differ here
      be_.fill_random(args);
      std::vector<double> actual(rows * cols);
      if (dtype == DType::kFloat32) {
        auto values = Download<float>(buffer);
        actual.assign(values.begin(), values.end());
      } else {
        actual = Download<double>(buffer);
      }
      for (int64_t i = 0; i < rows; ++i) {
        for (int64_t j = 0; j < cols; ++j) {
          const uint64_t position = offset + i * cols + j;
          const uint32_t bits = philox::Bits(seed, position);
          double expected = 0;
          if (distribution == Distribution::kUniform) {
            if (dtype == DType::kFloat32) {
              const float a = 0.1f, b = 0.7f;
              const float scaled = (b - a) * static_cast<float>(philox::Uniform(bits));
              expected = a + scaled;
            } else {
              expected = 0.1 + (0.7 - 0.1) * philox::Uniform(bits);
            }
          } else if (distribution == Distribution::kNormal) {
            expected = 0.3 + 2.5 * philox::Normal(seed, position);
            if (dtype == DType::kFloat32) expected = static_cast<float>(expected);
          } else {
            expected = philox::Bernoulli(bits, 0.3);
          }
          EXPECT_EQ(actual[j * rows + i], expected)
              << "distribution " << static_cast<int>(distribution) << " dtype " << DTypeName(dtype)
              << " at (" << i << ", " << j << ")";
        }
      }
    }
  }
}

// Mean and variance of n samples of `distribution` in float64.
std::pair<double, double> Moments(Backend& be, Distribution distribution, double a, double b,
                                  int64_t n) {
  auto buffer = be.allocate(n * sizeof(double));
  be.fill_random({{buffer.get(), 0, n, 1, DType::kFloat64}, 1, n, distribution, a, b, 42, 0});
  std::vector<double> values(n);
  be.copy_out(*buffer, 0, values.data(), n * sizeof(double));
  double sum = 0, sum_sq = 0;
  for (double v : values) sum += v;
  const double mean = sum / n;
  for (double v : values) sum_sq += (v - mean) * (v - mean);
  return {mean, sum_sq / (n - 1)};
}

TEST_F(ReferenceBackendTest, FillRandomHasPlausibleMoments) {
  const int64_t n = 100000;
  // Bounds are 5 standard errors: of the mean sqrt(var / n), of the variance sqrt((mu4 - var^2) /
  // n).
  auto [u_mean, u_var] = Moments(be_, Distribution::kUniform, 2, 5, n);  // var 9/12, mu4 81/80
  EXPECT_NEAR(u_mean, 3.5, 5 * std::sqrt(0.75 / n));
  EXPECT_NEAR(u_var, 0.75, 5 * std::sqrt((81.0 / 80 - 0.5625) / n));
  auto [g_mean, g_var] = Moments(be_, Distribution::kNormal, 1, 2, n);  // var 4, mu4 48
  EXPECT_NEAR(g_mean, 1, 5 * std::sqrt(4.0 / n));
  EXPECT_NEAR(g_var, 4, 5 * std::sqrt((48.0 - 16) / n));
  auto [p_mean, p_var] = Moments(be_, Distribution::kBernoulli, 0.3, 0, n);
  EXPECT_NEAR(p_mean, 0.3, 5 * std::sqrt(0.21 / n));
  EXPECT_NEAR(p_var, 0.21, 5 * std::sqrt(0.21 * (1 - 4 * 0.21) / n));
}

TEST_F(ReferenceBackendTest, FillRandomInt32AndBounds) {
  auto buffer = be_.allocate(8 * sizeof(int32_t));
  be_.fill_random(
      {{buffer.get(), 0, 4, 1, DType::kInt32}, 2, 4, Distribution::kBernoulli, 0.5, 0, 9, 3});
  auto values = Download<int32_t>(buffer);
  for (int e = 0; e < 8; ++e) EXPECT_EQ(values[e], philox::Bernoulli(philox::Bits(9, 3 + e), 0.5));
  EXPECT_THROW(be_.fill_random({{buffer.get(), 1, 4, 1, DType::kInt32}, 2, 4}), ArgumentError);
  EXPECT_THROW(be_.fill_random({{buffer.get(), 0, 4, 1, DType::kFloat64}, 2, 4}), ArgumentError);
}

// ---- copies ----

TEST_F(ReferenceBackendTest, CopiesAndTheirBounds) {
  auto a = Upload<int32_t>({1, 2, 3, 4});
  auto b = be_.allocate(4 * sizeof(int32_t));
  be_.copy(*a, 0, *b, 0, 16);
  be_.copy(*a, 0, *a, 4, 8);  // overlapping, within one buffer
  EXPECT_EQ(Download<int32_t>(a), (std::vector<int32_t>{1, 1, 2, 4}));
  EXPECT_EQ(Download<int32_t>(b), (std::vector<int32_t>{1, 2, 3, 4}));
  int32_t host[4] = {};
  be_.copy_out(*b, 8, host, 8);
  EXPECT_EQ(host[0], 3);
  EXPECT_EQ(host[1], 4);

  EXPECT_THROW(be_.copy_in(*b, 12, host, 8), ArgumentError);
  EXPECT_THROW(be_.copy_out(*b, 17, host, 0), ArgumentError);
  EXPECT_THROW(be_.copy(*a, 8, *b, 0, 12), ArgumentError);
  EXPECT_THROW(be_.copy(*a, 0, *b, 4, 16), ArgumentError);
  try {
    be_.copy_in(*b, 10, host, 8);
    ADD_FAILURE() << "expected ArgumentError";
  } catch (const ArgumentError& error) {
    EXPECT_NE(std::string(error.what()).find("16 bytes"), std::string::npos) << error.what();
  }
  ReferenceBackend other;
  auto foreign = other.allocate(16);
  EXPECT_THROW(be_.copy(*foreign, 0, *b, 0, 4), ArgumentError);
  be_.synchronize();
}

}  // namespace
}  // namespace neon
