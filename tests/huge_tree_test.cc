// Generated trees with thousands of leaves and constants compute the right
// value on every backend, in fused kernels of bounded size (graph/compile.h:
// kKernelNodeBudget), so no OpenCL compile is unbounded. One target per backend.
#include <gtest/gtest.h>

#include <functional>

#include "backends/registry.h"
#include "graph/expr.h"
#include "tests/backends_under_test.h"

namespace neon {
namespace {

// term(0) + term(1) + ... + term(count - 1), summed pairwise (depth log2(count)).
Expr BalancedSum(int begin, int end, const std::function<Expr(int)>& term) {
  if (end - begin == 1) return term(begin);
  int middle = begin + (end - begin) / 2;
  return BalancedSum(begin, middle, term) + BalancedSum(middle, end, term);
}

TEST(HugeTreeTest, AThousandDistinctLeaves) {
  std::unique_ptr<Backend> be = CreateBackend(BackendUnderTest());
  std::vector<Tensor> leaves;
  for (int i = 0; i < 1000; ++i) leaves.push_back(full(*be, {3, 5}, i % 9));
  Tensor out = empty(*be, {3, 5});
  out.assign(BalancedSum(0, 1000, [&](int i) { return Expr(leaves[i]); }));
  double expected = 0.0;
  for (int i = 0; i < 1000; ++i) expected += i % 9;
  for (float value : out.get<float>()) EXPECT_EQ(value, expected);
}

TEST(HugeTreeTest, TenThousandConstants) {
  std::unique_ptr<Backend> be = CreateBackend(BackendUnderTest());
  Tensor x = full(*be, {2, 3}, 0.5);
  Tensor out = empty(*be, {2, 3});
  // Every constant is a kernel parameter: x * 0 + x * 1 + ... + x * 9999.
  out.assign(BalancedSum(0, 10000, [&](int i) { return x * static_cast<double>(i); }));
  // Whole multiples of 0.5 below 2^24: every partial sum is exact in float32.
  const double expected = 0.5 * 9999.0 * 10000.0 / 2.0;
  for (float value : out.get<float>()) EXPECT_EQ(value, expected);
}

// 300 distinct broadcast rows added to a matrix: past the node budget the row chain gets
// kernels of its own (on opencl one kernel reading all 301 tensors needs 2,500 bytes of
// arguments, beyond the device's CL_DEVICE_MAX_PARAMETER_SIZE).
TEST(HugeTreeTest, ThreeHundredBroadcastRows) {
  std::unique_ptr<Backend> be = CreateBackend(BackendUnderTest());
  Tensor x = full(*be, {3, 5}, 0.5);
  std::vector<Tensor> rows;
  for (int i = 0; i < 300; ++i) rows.push_back(full(*be, {1, 5}, i % 9));
  Tensor out = empty(*be, {3, 5});
  out.assign(x + BalancedSum(0, 300, [&](int i) { return Expr(rows[i]); }));
  double expected = 0.5;
  for (int i = 0; i < 300; ++i) expected += i % 9;
  for (float value : out.get<float>()) EXPECT_EQ(value, expected);
}

}  // namespace
}  // namespace neon
