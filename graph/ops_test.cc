// Every op through the IR on the reference backend, against hand-computed values.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "backends/reference/reference_backend.h"
#include "core/error.h"
#include "graph/expr.h"
#include "graph/random_stream.h"

namespace neon {
namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

class OpsTest : public ::testing::Test {
 protected:
  Tensor Row(std::vector<double> values) {
    int64_t n = static_cast<int64_t>(values.size());
    return array(*be_, values, {1, n}, DType::kFloat64);
  }
  Tensor Matrix(std::vector<double> values, int64_t rows, int64_t cols) {
    return array(*be_, values, {rows, cols}, DType::kFloat64);
  }
  std::vector<double> Eval(const Expr& value) {
    Tensor out = empty(*be_, value.shape(), DType::kFloat64);
    out.assign(value);
    return out.get<double>();
  }
  // Compares with NaN equal to NaN.
  static void ExpectValues(const std::vector<double>& actual, const std::vector<double>& expected) {
    ASSERT_EQ(actual.size(), expected.size());
    for (size_t i = 0; i < actual.size(); ++i) {
      if (std::isnan(expected[i])) {
        EXPECT_TRUE(std::isnan(actual[i])) << "at " << i << ": " << actual[i];
      } else {
        EXPECT_DOUBLE_EQ(actual[i], expected[i]) << "at " << i;
      }
    }
  }
  std::unique_ptr<Backend> be_ = MakeReferenceBackend();
};

TEST_F(OpsTest, Arithmetic) {
  Tensor a = Row({1, -2, 3, 0});
  Tensor b = Row({2, 4, -0.5, 0});
  ExpectValues(Eval(a + b), {3, 2, 2.5, 0});
  ExpectValues(Eval(a - b), {-1, -6, 3.5, 0});
  ExpectValues(Eval(a * b), {2, -8, -1.5, 0});
  ExpectValues(Eval(a / b), {0.5, -0.5, -6, kNan});  // 0/0 is NaN
  ExpectValues(Eval(-a), {-1, 2, -3, 0});
  ExpectValues(Eval(1 / Row({0, -0.0})), {kInf, -kInf});
}

TEST_F(OpsTest, Comparisons) {
  Tensor a = Row({1, 2, 3, kNan});
  Tensor b = Row({2, 2, 2, kNan});
  ExpectValues(Eval(a == b), {0, 1, 0, 0});  // NaN equals nothing
  ExpectValues(Eval(a != b), {1, 0, 1, 1});
  ExpectValues(Eval(a < b), {1, 0, 0, 0});
  ExpectValues(Eval(a <= b), {1, 1, 0, 0});
  ExpectValues(Eval(a > b), {0, 0, 1, 0});
  ExpectValues(Eval(a >= b), {0, 1, 1, 0});
}

TEST_F(OpsTest, UnaryFunctions) {
  Tensor x = Row({0, 1, -1, 4});
  ExpectValues(Eval(abs(x)), {0, 1, 1, 4});
  ExpectValues(Eval(sgn(x)), {0, 1, -1, 1});
  ExpectValues(Eval(sqrt(x)), {0, 1, kNan, 2});
  ExpectValues(Eval(sqr(x)), {0, 1, 1, 16});
  ExpectValues(Eval(exp(x)), {1, std::exp(1.0), std::exp(-1.0), std::exp(4.0)});
  ExpectValues(Eval(log(x)), {-kInf, 0, kNan, std::log(4.0)});
  ExpectValues(Eval(exp2(x)), {1, 2, 0.5, 16});
  ExpectValues(Eval(log2(x)), {-kInf, 0, kNan, 2});
  ExpectValues(Eval(sig(x)), {0.5, 1 / (1 + std::exp(-1.0)), 1 / (1 + std::exp(1.0)), 1 / (1 + std::exp(-4.0))});
  ExpectValues(Eval(sig2(x)), {0.5, 2.0 / 3.0, 1.0 / 3.0, 16.0 / 17.0});
  ExpectValues(Eval(tanh(x)), {0, std::tanh(1.0), std::tanh(-1.0), std::tanh(4.0)});
  ExpectValues(Eval(tanh2(x)), {0, 3.0 / 5.0, -3.0 / 5.0, 255.0 / 257.0});
}

TEST_F(OpsTest, SafelogFiniteRintBinarize) {
  ExpectValues(Eval(safelog(Row({0, 1, -3, kNan}))), {-50, 0, -50, kNan});
  ExpectValues(Eval(finite(Row({1, kInf, -kInf, kNan}))), {1, 0, 0, 0});
  ExpectValues(Eval(rint(Row({0.5, 1.5, 2.5, -2.5}))), {0, 2, 2, -2});  // halves to even
  ExpectValues(Eval(binarize(Row({0, 0.1, -0.1, -5}))), {1, 1, -1, -1});
}

TEST_F(OpsTest, PowWithNegativeBases) {
  ExpectValues(Eval(pow(Row({-2, -8, 2, 0}), Row({3, 1.0 / 3, -1, 0}))), {-8, kNan, 0.5, 1});
}

TEST_F(OpsTest, MinimumMaximumPropagateNan) {
  Tensor a = Row({1, 5, kNan, 2});
  Tensor b = Row({3, 4, 1, kNan});
  ExpectValues(Eval(minimum(a, b)), {1, 4, kNan, kNan});
  ExpectValues(Eval(maximum(a, b)), {3, 5, kNan, kNan});
  ExpectValues(Eval(clip(Row({-5, 0.5, 5}), 0, 1)), {0, 0.5, 1});
}

TEST_F(OpsTest, ShiftMultipliesByPowersOfTwo) {
  ExpectValues(Eval(shift(Row({3, 3, -1}), Row({2, -1, 10}))), {12, 1.5, -1024});
}

TEST_F(OpsTest, NanAndInfPropagate) {
  Tensor x = Row({kNan, kInf, -kInf});
  ExpectValues(Eval(x + 1), {kNan, kInf, -kInf});
  ExpectValues(Eval(x * 0), {kNan, kNan, kNan});
  ExpectValues(Eval(exp(x)), {kNan, kInf, 0});
  ExpectValues(Eval(sig(x)), {kNan, 1, 0});
}

TEST_F(OpsTest, ReductionsOnEachAxis) {
  Tensor m = Matrix({1, 5, 3, 7, 2, 7}, 2, 3);  // [[1 5 3] [7 2 7]]
  ExpectValues(Eval(sum(m, 0)), {8, 7, 10});
  ExpectValues(Eval(sum(m, 1)), {9, 16});
  ExpectValues(Eval(sum(m)), {25});
  ExpectValues(Eval(max(m, 0)), {7, 5, 7});
  ExpectValues(Eval(min(m, 1)), {1, 2});
  ExpectValues(Eval(mean(m, 1)), {3, 16.0 / 3});
  ExpectValues(Eval(var(m, 0)), {9, 2.25, 4});
  ExpectValues(Eval(std_dev(m, 0)), {3, 1.5, 2});
}

TEST_F(OpsTest, ArgmaxTiesPickTheFirstIndex) {
  Tensor m = Matrix({1, 5, 3, 7, 2, 7}, 2, 3);
  ExpectValues(Eval(argmax(m, 1)), {1, 0});  // row 1: 7 at 0 and 2 -> 0
  ExpectValues(Eval(argmin(m, 0)), {0, 1, 0});
  ExpectValues(Eval(argmax(m)), {3});        // linear index of the first 7
  ExpectValues(Eval(argmax(Row({1, kNan, 9, kNan}), 1)), {1});  // NaN counts as the largest
  ExpectValues(Eval(max(Row({1, kNan, 9}), 1)), {kNan});
}

TEST_F(OpsTest, DotAndTransposedOperands) {
  Tensor a = Matrix({1, 2, 3, 4, 5, 6}, 2, 3);
  Tensor b = Matrix({1, 0, 0, 1, 1, 1}, 3, 2);
  ExpectValues(Eval(dot(a, b)), {4, 5, 10, 11});
  ExpectValues(Eval(dot(b.T(), a.T())), {4, 10, 5, 11});
  ExpectValues(Eval(2 * dot(a, b) + 1), {9, 11, 21, 23});
  ExpectValues(Eval(transpose(a) * 1), {1, 4, 2, 5, 3, 6});
  ExpectValues(Eval(sum(dot(a, b), 0)), {14, 16});
}

TEST_F(OpsTest, ViewsAsOperands) {
  Tensor m = Matrix({1, 2, 3, 4, 5, 6, 7, 8, 9}, 3, 3);
  ExpectValues(Eval(m.rows(1, 2) + m.cols(2, 3).T()), {7, 11, 15});
  ExpectValues(Eval(m.T().cols(0, 1) * 10), {10, 20, 30});
}

TEST_F(OpsTest, Onehot) {
  Tensor labels = Row({2, 0, 1});
  ExpectValues(Eval(onehot(labels, 3, 0)), {0, 1, 0, 0, 0, 1, 1, 0, 0});
  ExpectValues(Eval(onehot(labels.T(), 3, 1)), {0, 0, 1, 1, 0, 0, 0, 1, 0});
}

TEST_F(OpsTest, IntegerTensors) {
  Tensor i = array(*be_, std::vector<int32_t>{7, -3, 2, 9}, {2, 2}, DType::kInt32);
  Tensor out = empty(*be_, {2, 2}, DType::kInt32);
  out.assign(i / 2);  // computed in float64, stored truncating toward zero
  EXPECT_EQ(out.get<int32_t>(), (std::vector<int32_t>{3, -1, 1, 4}));
  Tensor index = empty(*be_, {1, 2}, DType::kInt32);
  index.assign(argmax(i, 0));
  EXPECT_EQ(index.get<int32_t>(), (std::vector<int32_t>{0, 1}));
}

TEST_F(OpsTest, RandIsReproducibleFromTheSeed) {
  Tensor a = empty(*be_, {4, 5});
  Tensor b = empty(*be_, {4, 5});
  SetSeed(*be_, 42);
  a.assign(rand());
  b.assign(rand());
  EXPECT_NE(a.get<float>(), b.get<float>());  // the stream moves on
  std::vector<float> first = a.get<float>();
  SetSeed(*be_, 42);
  a.assign(rand());
  EXPECT_EQ(a.get<float>(), first);
  for (float value : first) {
    EXPECT_GE(value, 0.0f);
    EXPECT_LT(value, 1.0f);
  }
}

TEST_F(OpsTest, OneRandNodeIsOneDrawTwoNodesAreTwo) {
  Tensor out = empty(*be_, {50, 50}, DType::kFloat64);
  Expr r = rand();
  out.assign(r - r);  // the same draw: exactly 0
  ExpectValues(out.get<double>(), std::vector<double>(2500, 0.0));
  out.assign(rand() - rand());  // same shape of tree, two draws: must not reuse the plan above
  std::vector<double> values = out.get<double>();
  EXPECT_GT(std::count_if(values.begin(), values.end(), [](double v) { return v != 0.0; }), 2400);
}

TEST_F(OpsTest, InPlaceUpdates) {
  Tensor x = Matrix({1, 2, 3, 4}, 2, 2);
  x.assign(x * 2 + 1);
  ExpectValues(x.get<double>(), {3, 5, 7, 9});
  x.assign(x.T());  // overlapping view: goes through a temporary
  ExpectValues(x.get<double>(), {3, 7, 5, 9});
  x.assign(x - mean(x, 1));
  ExpectValues(x.get<double>(), {-2, 2, -2, 2});
}

TEST_F(OpsTest, InPlaceTransposeIsOutOfPlace) {
  std::vector<double> values(300 * 300);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<double>(i);
  Tensor x = Matrix(values, 300, 300);
  x.assign(transpose(x));
  std::vector<double> result = x.get<double>();
  for (size_t i = 0; i < 300; ++i) {
    for (size_t j = 0; j < 300; ++j) ASSERT_EQ(result[i * 300 + j], values[j * 300 + i]) << i << ", " << j;
  }
  x.assign(transpose(x) * 2 + 0);
  EXPECT_EQ(x.get<double>()[1], 2 * values[1]);
}

TEST_F(OpsTest, EmptyAxesReduce) {
  Tensor empty_rows = empty(*be_, {0, 5}, DType::kFloat64);
  ExpectValues(Eval(sum(empty_rows, 0)), {0, 0, 0, 0, 0});
  EXPECT_THROW(argmax(empty_rows, 0), ShapeError);
  EXPECT_THROW(argmin(empty_rows), ShapeError);
  EXPECT_EQ(argmax(empty_rows, 1).shape(), (Shape{0, 1}));  // nothing to index: an empty result
}

TEST_F(OpsTest, AssignBroadcastsIntoTheOutput) {
  Tensor out = empty(*be_, {2, 3}, DType::kFloat64);
  out.assign(Row({1, 2, 3}));
  ExpectValues(out.get<double>(), {1, 2, 3, 1, 2, 3});
  out.assign(5);
  ExpectValues(out.get<double>(), std::vector<double>(6, 5));
}

}  // namespace
}  // namespace neon
